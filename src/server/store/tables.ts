import type { DeviceStatus, Role, TokenKind } from './store';

/**
 * The database as Kysely sees it. Column names are the SQL ones; every timestamp is an integer
 * of milliseconds since the epoch (BIGINT on PostgreSQL), the one representation the domain uses.
 */
export interface Tables {
	organizations: {
		id: string;
		name: string;
		created_at: number;
		held_ahead_revision: number | null;
		held_ahead_by: string | null;
		held_ahead_at: number | null;
	};
	signing_keys: { org_id: string; private_key_pem: string; public_key: string | null; created_at: number };
	key_endorsements: { org_id: string; key_id: string; public_key: string; endorsed_by: string; signature: string; created_at: number };
	policy_revisions: {
		org_id: string;
		revision: number;
		signed_json: string;
		signed_json_v1: string | null;
		signed_json_v2: string | null;
		created_at: number;
		created_by: string;
		rollout_json: string | null;
	};
	users: {
		id: string;
		org_id: string;
		email: string;
		role: Role;
		password_hash: string | null;
		created_at: number;
		last_seen_at: number | null;
		applied_revision: number | null;
		applied_at: number | null;
		deactivated_at: number | null;
		external_id: string | null;
		break_glass: number;
		policy_schema: number | null;
	};
	scim_attributes: {
		user_id: string;
		org_id: string;
		attributes_json: string;
		updated_at: number;
	};
	invitations: {
		token_hash: string;
		org_id: string;
		email: string;
		role: Role;
		created_by: string;
		created_at: number;
		expires_at: number;
		accepted_at: number | null;
	};
	device_codes: {
		device_code_hash: string;
		user_code: string;
		client_id: string;
		expires_at: number;
		interval_seconds: number;
		last_polled_at: number | null;
		status: DeviceStatus;
		user_id: string | null;
	};
	tokens: {
		token_hash: string;
		kind: TokenKind;
		user_id: string;
		org_id: string;
		family_id: string | null;
		client_id: string | null;
		expires_at: number | null;
		created_at: number;
		used_at: number | null;
		revoked_at: number | null;
		revoked_reason: string | null;
		csrf_token: string | null;
		label: string | null;
	};
	sso_settings: {
		org_id: string;
		settings_json: string;
		client_secret: string;
		tested_fingerprint: string | null;
		scim_token_hash: string | null;
		updated_at: number;
		updated_by: string;
	};
	sso_logins: {
		state_hash: string;
		org_id: string;
		purpose: string;
		nonce: string;
		code_verifier: string;
		return_to: string | null;
		binding_hash: string | null;
		created_at: number;
		expires_at: number;
	};
	audit_events: { id: string; org_id: string; at: number; actor: string; action: string; outcome: string; detail: string };
	usage_hourly: UsageHourlyRow;
	member_groups: {
		id: string;
		org_id: string;
		display_name: string;
		name_key: string;
		external_id: string | null;
		source: string;
		created_at: number;
		updated_at: number;
	};
	group_members: { group_id: string; user_id: string; org_id: string };
	usage_budget_overrides: { user_id: string; org_id: string; monthly_tokens: number; updated_at: number; updated_by: string };
	usage_batches: { user_id: string; batch_id: string; org_id: string; received_at: number; dropped_requests: number };
	token_signing_keys: {
		kid: string;
		org_id: string;
		public_jwk: string;
		private_pem: string | null;
		created_at: number;
		activates_at: number;
		retired_at: number | null;
		last_expires_at: number;
	};
	organization_token_grants: { user_id: string; org_id: string; expires_at: number };
	member_sign_ins: {
		family_id: string;
		org_id: string;
		user_id: string;
		policy_schema: number | null;
		applied_revision: number | null;
		extension_version: string | null;
		vscode_version: string | null;
		last_seen_at: number;
		/** What its VS Code last said of the utility-model settings (all null: no report yet). */
		chat_supported: number | null;
		utility_model: string | null;
		utility_small_model: string | null;
		chat_reported_at: number | null;
	};
	rollout_outcomes: { org_id: string; revision: number; outcome: string; at: number; by: string };
	password_resets: {
		token_hash: string;
		org_id: string;
		user_id: string;
		created_by: string;
		created_at: number;
		expires_at: number;
		used_at: number | null;
	};
}

/** The sums of an hourly usage bucket, as columns. */
export const USAGE_SUM_COLUMNS = [
	'requests',
	'input_tokens',
	'output_tokens',
	'cached_tokens',
	'reasoning_tokens',
	'estimated_requests',
	'first_token_requests',
	'first_token_ms',
	'duration_ms',
] as const;
export type UsageSumColumn = (typeof USAGE_SUM_COLUMNS)[number];

export type UsageHourlyRow = {
	org_id: string;
	user_id: string;
	hour: number;
	model: string;
	api: string;
	caller: string;
	outcome: string;
	revision: number;
} & Record<UsageSumColumn, number>;
