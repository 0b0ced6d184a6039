import type { Selectable } from 'kysely';
import type { Insertable } from 'kysely';
import { publicKeyFromPrivatePem } from '../../policy';
import type {
	DeviceCodeRecord,
	InvitationRecord,
	KeyEndorsementRecord,
	OrganizationRecord,
	RevisionRecord,
	SigningKeyRecord,
	TokenRecord,
	UserRecord,
	RevocationReason,
} from './store';
import { REVOCATION_REASONS } from './store';
import type { Tables } from './tables';

/** Row ↔ record mapping: SQL column names on one side, the domain's names on the other. */
export type Row<T extends keyof Tables> = Selectable<Tables[T]>;

export const toOrganization = (row: Row<'organizations'>): OrganizationRecord => ({
	id: row.id,
	name: row.name,
	createdAt: row.created_at,
	...(row.held_ahead_revision !== null && row.held_ahead_by !== null && row.held_ahead_at !== null
		? { heldAhead: { revision: Number(row.held_ahead_revision), userId: row.held_ahead_by, at: Number(row.held_ahead_at) } }
		: {}),
});
export const toSigningKey = (row: Row<'signing_keys'>): SigningKeyRecord => ({
	orgId: row.org_id,
	privateKeyPem: row.private_key_pem === '' ? null : row.private_key_pem,
	// Organizations created before the public key was stored: derive it from the private one.
	publicKey: row.public_key ?? publicKeyFromPrivatePem(row.private_key_pem).publicKey,
	createdAt: row.created_at,
});
export const toKeyEndorsement = (row: Row<'key_endorsements'>): KeyEndorsementRecord => ({
	orgId: row.org_id,
	keyId: row.key_id,
	publicKey: row.public_key,
	endorsedBy: row.endorsed_by,
	signature: row.signature,
	createdAt: row.created_at,
});
export const keyEndorsementRow = (record: KeyEndorsementRecord): Row<'key_endorsements'> => ({
	org_id: record.orgId,
	key_id: record.keyId,
	public_key: record.publicKey,
	endorsed_by: record.endorsedBy,
	signature: record.signature,
	created_at: record.createdAt,
});
export const toRevision = (row: Row<'policy_revisions'>): RevisionRecord => ({
	orgId: row.org_id,
	revision: row.revision,
	signedJson: row.signed_json,
	signedJsonV1: row.signed_json_v1,
	signedJsonV2: row.signed_json_v2,
	createdAt: row.created_at,
	createdBy: row.created_by,
	rollout: row.rollout_json ? (JSON.parse(row.rollout_json) as RevisionRecord['rollout']) : null,
});
export const toUser = (row: Row<'users'>): UserRecord => ({
	id: row.id,
	orgId: row.org_id,
	email: row.email,
	role: row.role,
	passwordHash: row.password_hash,
	createdAt: row.created_at,
	lastSeenAt: row.last_seen_at,
	appliedRevision: row.applied_revision,
	appliedAt: row.applied_at,
	deactivatedAt: row.deactivated_at,
	externalId: row.external_id,
	breakGlass: row.break_glass === 1,
	policySchema: row.policy_schema,
});
export const toInvitation = (row: Row<'invitations'>): InvitationRecord => ({
	tokenHash: row.token_hash,
	orgId: row.org_id,
	email: row.email,
	role: row.role,
	createdBy: row.created_by,
	createdAt: row.created_at,
	expiresAt: row.expires_at,
	acceptedAt: row.accepted_at,
});
export const toDevice = (row: Row<'device_codes'>): DeviceCodeRecord => ({
	deviceCodeHash: row.device_code_hash,
	userCode: row.user_code,
	clientId: row.client_id,
	expiresAt: row.expires_at,
	intervalSeconds: row.interval_seconds,
	lastPolledAt: row.last_polled_at,
	status: row.status,
	userId: row.user_id,
});
/** The recorded reason, when the row has one this version knows. */
function revokedReasonOf(value: string | null): { revokedReason?: RevocationReason } {
	const revokedReason = REVOCATION_REASONS.find((reason) => reason === value);
	return revokedReason ? { revokedReason } : {};
}
export const toToken = (row: Row<'tokens'>): TokenRecord => ({
	tokenHash: row.token_hash,
	kind: row.kind,
	userId: row.user_id,
	orgId: row.org_id,
	familyId: row.family_id,
	clientId: row.client_id,
	expiresAt: row.expires_at,
	createdAt: row.created_at,
	usedAt: row.used_at,
	revokedAt: row.revoked_at,
	...revokedReasonOf(row.revoked_reason),
	csrfToken: row.csrf_token,
	label: row.label,
});

export const revisionRow = (record: RevisionRecord): Row<'policy_revisions'> => ({
	org_id: record.orgId,
	revision: record.revision,
	signed_json: record.signedJson,
	signed_json_v1: record.signedJsonV1,
	signed_json_v2: record.signedJsonV2,
	created_at: record.createdAt,
	created_by: record.createdBy,
	rollout_json: record.rollout ? JSON.stringify(record.rollout) : null,
});
export const userRow = (user: UserRecord) => ({
	id: user.id,
	org_id: user.orgId,
	email: user.email,
	role: user.role,
	password_hash: user.passwordHash,
	created_at: user.createdAt,
	deactivated_at: user.deactivatedAt,
	external_id: user.externalId,
	break_glass: user.breakGlass ? 1 : 0,
});

export const invitationRow = (invitation: InvitationRecord): Insertable<Tables['invitations']> => ({
	token_hash: invitation.tokenHash,
	org_id: invitation.orgId,
	email: invitation.email,
	role: invitation.role,
	created_by: invitation.createdBy,
	created_at: invitation.createdAt,
	expires_at: invitation.expiresAt,
});

export const deviceRow = (code: DeviceCodeRecord): Insertable<Tables['device_codes']> => ({
	device_code_hash: code.deviceCodeHash,
	user_code: code.userCode,
	client_id: code.clientId,
	expires_at: code.expiresAt,
	interval_seconds: code.intervalSeconds,
	status: code.status,
});

export const tokenRow = (token: TokenRecord): Insertable<Tables['tokens']> => ({
	token_hash: token.tokenHash,
	kind: token.kind,
	user_id: token.userId,
	org_id: token.orgId,
	family_id: token.familyId,
	client_id: token.clientId,
	expires_at: token.expiresAt,
	created_at: token.createdAt,
	csrf_token: token.csrfToken,
	label: token.label,
});

/** The user's columns beside a token's in one query (every authenticated request reads both). */
export const USER_COLUMNS_PREFIXED = [
	'u.id as u_id',
	'u.org_id as u_org_id',
	'u.email as u_email',
	'u.role as u_role',
	'u.password_hash as u_password_hash',
	'u.created_at as u_created_at',
	'u.last_seen_at as u_last_seen_at',
	'u.applied_revision as u_applied_revision',
	'u.applied_at as u_applied_at',
	'u.deactivated_at as u_deactivated_at',
	'u.external_id as u_external_id',
	'u.break_glass as u_break_glass',
	'u.policy_schema as u_policy_schema',
] as const;

type PrefixedUser = { [K in keyof Row<'users'> as `u_${K}`]: Row<'users'>[K] };

export function toTokenWithUser(row: Row<'tokens'> & PrefixedUser): { token: TokenRecord; user: UserRecord } {
	const user: Row<'users'> = {
		id: row.u_id,
		org_id: row.u_org_id,
		email: row.u_email,
		role: row.u_role,
		password_hash: row.u_password_hash,
		created_at: row.u_created_at,
		last_seen_at: row.u_last_seen_at,
		applied_revision: row.u_applied_revision,
		applied_at: row.u_applied_at,
		deactivated_at: row.u_deactivated_at,
		external_id: row.u_external_id,
		break_glass: row.u_break_glass,
		policy_schema: row.u_policy_schema,
	};
	return { token: toToken(row), user: toUser(user) };
}
