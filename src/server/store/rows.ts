import type { Selectable } from 'kysely';
import type { DeviceCodeRecord, InvitationRecord, OrganizationRecord, RevisionRecord, TokenRecord, UserRecord } from './store';
import type { Tables } from './tables';

/** Row ↔ record mapping: SQL column names on one side, the domain's names on the other. */
export type Row<T extends keyof Tables> = Selectable<Tables[T]>;

export const toOrganization = (row: Row<'organizations'>): OrganizationRecord => ({ id: row.id, name: row.name, createdAt: row.created_at });
export const toRevision = (row: Row<'policy_revisions'>): RevisionRecord => ({
	orgId: row.org_id,
	revision: row.revision,
	signedJson: row.signed_json,
	createdAt: row.created_at,
	createdBy: row.created_by,
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
export const toToken = (row: Row<'tokens'>): TokenRecord => ({
	tokenHash: row.token_hash,
	kind: row.kind,
	userId: row.user_id,
	orgId: row.org_id,
	familyId: row.family_id,
	expiresAt: row.expires_at,
	createdAt: row.created_at,
	usedAt: row.used_at,
	revokedAt: row.revoked_at,
	csrfToken: row.csrf_token,
	label: row.label,
});

export const revisionRow = (record: RevisionRecord): Row<'policy_revisions'> => ({
	org_id: record.orgId,
	revision: record.revision,
	signed_json: record.signedJson,
	created_at: record.createdAt,
	created_by: record.createdBy,
});
export const userRow = (user: UserRecord) => ({
	id: user.id,
	org_id: user.orgId,
	email: user.email,
	role: user.role,
	password_hash: user.passwordHash,
	created_at: user.createdAt,
});
