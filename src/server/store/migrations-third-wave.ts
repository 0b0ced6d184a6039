import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The third wave's migrations: usage, groups, organization tokens, staged rollouts and password resets. Kept apart
 * from the first waves' only for size; `MIGRATIONS` runs them all, in name order.
 */
export const THIRD_WAVE_MIGRATIONS: Readonly<Record<string, Migration>> = {
	'0008_usage': {
		// Usage counted by the extension: hourly buckets per member, model, API, caller, outcome and
		// revision (sums only, never content), and the ids of the reports already counted.
		async up(db: Kysely<unknown>): Promise<void> {
			// Written out, not imported: a released migration never changes with the code around it.
			const sums = [
				'requests',
				'input_tokens',
				'output_tokens',
				'cached_tokens',
				'reasoning_tokens',
				'estimated_requests',
				'first_token_requests',
				'first_token_ms',
				'duration_ms',
			];
			let table = db.schema
				.createTable('usage_hourly')
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('hour', 'bigint', (c) => c.notNull())
				.addColumn('model', 'text', (c) => c.notNull())
				.addColumn('api', 'text', (c) => c.notNull())
				.addColumn('caller', 'text', (c) => c.notNull())
				.addColumn('outcome', 'text', (c) => c.notNull())
				.addColumn('revision', 'integer', (c) => c.notNull());
			for (const name of sums) {
				table = table.addColumn(name, 'bigint', (c) => c.notNull().defaultTo(0));
			}
			await table
				.addPrimaryKeyConstraint('usage_hourly_key', ['org_id', 'hour', 'user_id', 'model', 'api', 'caller', 'outcome', 'revision'])
				.execute();
			await db.schema
				.createTable('usage_batches')
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('batch_id', 'text', (c) => c.notNull())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('received_at', 'bigint', (c) => c.notNull())
				.addColumn('dropped_requests', 'bigint', (c) => c.notNull().defaultTo(0))
				.addPrimaryKeyConstraint('usage_batches_key', ['user_id', 'batch_id'])
				.execute();
			await db.schema.createIndex('usage_batches_by_org').on('usage_batches').columns(['org_id', 'received_at']).execute();
			// A member's own monthly token allowance, where an admin set one apart from the policy's.
			await db.schema
				.createTable('usage_budget_overrides')
				.addColumn('user_id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('monthly_tokens', 'bigint', (c) => c.notNull())
				.addColumn('updated_at', 'bigint', (c) => c.notNull())
				.addColumn('updated_by', 'text', (c) => c.notNull())
				.execute();
		},
	},
	'0009_groups': {
		// Groups of members: made in the console, provisioned by SCIM, or named in sign-in claims.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema
				.createTable('member_groups')
				.addColumn('id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('display_name', 'text', (c) => c.notNull())
				// The name as compared: one organization has one group per name, whatever its case.
				.addColumn('name_key', 'text', (c) => c.notNull())
				.addColumn('external_id', 'text')
				.addColumn('source', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('updated_at', 'bigint', (c) => c.notNull())
				.addUniqueConstraint('member_groups_name', ['org_id', 'name_key'])
				.execute();
			await db.schema
				.createTable('group_members')
				.addColumn('group_id', 'text', (c) => c.notNull())
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addPrimaryKeyConstraint('group_members_key', ['group_id', 'user_id'])
				.execute();
			await db.schema.createIndex('group_members_by_user').on('group_members').column('user_id').execute();
			await db.schema.createIndex('group_members_by_org').on('group_members').column('org_id').execute();
		},
	},
	'0010_organization_tokens': {
		// The keys that sign organization tokens (never the policy signing key), and until when each
		// member's newest token lives, so the console can say how long a removed member's token works.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema
				.createTable('token_signing_keys')
				.addColumn('kid', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('public_jwk', 'text', (c) => c.notNull())
				// Cleared when the key is retired: a retired key only verifies, it never signs again.
				.addColumn('private_pem', 'text')
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				// A new key is published before it signs, so gateways that cache the key set have it in time.
				.addColumn('activates_at', 'bigint', (c) => c.notNull())
				.addColumn('retired_at', 'bigint')
				// The latest expiry of a token it signed (rounded up): a retired key is published until then.
				.addColumn('last_expires_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema.createIndex('token_signing_keys_by_org').on('token_signing_keys').column('org_id').execute();
			await db.schema
				.createTable('organization_token_grants')
				.addColumn('user_id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('expires_at', 'bigint', (c) => c.notNull())
				.execute();
		},
	},
	'0011_rollouts': {
		// A revision may go first to a canary (a group, or a share of members): which, stored with the
		// revision itself so it is never published without it; and how each rollout ended.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('policy_revisions').addColumn('rollout_json', 'text').execute();
			await db.schema
				.createTable('rollout_outcomes')
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('revision', 'integer', (c) => c.notNull())
				.addColumn('outcome', 'text', (c) => c.notNull())
				.addColumn('at', 'bigint', (c) => c.notNull())
				.addColumn('by', 'text', (c) => c.notNull())
				.addPrimaryKeyConstraint('rollout_outcomes_key', ['org_id', 'revision'])
				.execute();
		},
	},
	'0012_member_vscode_settings': {
		// What each member's VS Code last said of the utility-model settings the policy points it at:
		// an extension cannot lock another product's setting, so admins see who changed it.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema
				.createTable('member_vscode_settings')
				.addColumn('user_id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('supported', 'integer', (c) => c.notNull())
				.addColumn('utility_model', 'text')
				.addColumn('utility_small_model', 'text')
				.addColumn('reported_at', 'bigint', (c) => c.notNull())
				.execute();
		},
	},
	'0013_password_resets': {
		// One-time links an admin (or the operator) makes for a person who lost their password: kept by
		// hash only, one unused link per person at a time, used once.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema
				.createTable('password_resets')
				.addColumn('token_hash', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('created_by', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('expires_at', 'bigint', (c) => c.notNull())
				.addColumn('used_at', 'bigint')
				.execute();
			await db.schema.createIndex('password_resets_by_user').on('password_resets').column('user_id').execute();
		},
	},
	'0014_token_revoked_reason': {
		// Why a sign-in ended, so its holder is told (a changed password, an admin's sign-out…) instead of a guess.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('tokens').addColumn('revoked_reason', 'text').execute();
		},
	},
	'0015_member_policy_schema': {
		// The newest policy schema each member's extension said it understands, at its last sync: a
		// revision it cannot be given (organization tokens need schema 3) leaves it behind until it updates.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('users').addColumn('policy_schema', 'integer').execute();
		},
	},
	'0016_member_sign_ins': {
		// What each of a member's sign-ins (one VS Code on one machine: a refresh-token family) last
		// reported and runs: a member on two machines is behind, or needs an update, when either one is.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema
				.createTable('member_sign_ins')
				.addColumn('family_id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('policy_schema', 'integer')
				.addColumn('applied_revision', 'integer')
				// What it runs, from its User-Agent (extensions before 0.3.0 did not say).
				.addColumn('extension_version', 'text')
				.addColumn('vscode_version', 'text')
				.addColumn('last_seen_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema.createIndex('member_sign_ins_by_org').on('member_sign_ins').column('org_id').execute();
		},
	},
	'0017_sign_in_vscode_settings': {
		// What each VS Code (not each member) says of its utility-model settings: a member who changed
		// them on one machine is seen though another machine of theirs reports the policy's. The one row
		// per member is not carried over: it names no machine, and every extension reports again when it
		// starts.
		async up(db: Kysely<unknown>): Promise<void> {
			for (const [column, type] of [
				['chat_supported', 'integer'],
				['utility_model', 'text'],
				['utility_small_model', 'text'],
				['chat_reported_at', 'bigint'],
			] as const) {
				// One column per statement: SQLite's ALTER TABLE adds one at a time.
				await db.schema.alterTable('member_sign_ins').addColumn(column, type).execute();
			}
			await db.schema.dropTable('member_vscode_settings').execute();
		},
	},
	'0018_revision_held_ahead': {
		// The newest revision a member says they hold beyond the organization's newest here: the
		// database was restored from an earlier backup. The next save is numbered past it, or members,
		// who refuse an older revision than one they applied, would refuse it.
		async up(db: Kysely<unknown>): Promise<void> {
			for (const [column, type] of [
				['held_ahead_revision', 'integer'],
				['held_ahead_by', 'text'],
				['held_ahead_at', 'bigint'],
			] as const) {
				await db.schema.alterTable('organizations').addColumn(column, type).execute();
			}
		},
	},
};
