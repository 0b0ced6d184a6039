import type { DeviceCodeRecord, InvitationRecord, RevisionRecord, TokenKind, TokenRecord, UserRecord } from './store';

/** Row ↔ record mapping shared by the SQLite and PostgreSQL stores (same column names). */
export type Row = Record<string, unknown>;
const nullable = <T>(value: unknown) => (value ?? null) as T | null;

export const toUser = (row: Row): UserRecord => ({
	id: row.id as string,
	orgId: row.org_id as string,
	email: row.email as string,
	role: row.role as UserRecord['role'],
	passwordHash: nullable<string>(row.password_hash),
	createdAt: row.created_at as string,
	lastSeenAt: nullable<string>(row.last_seen_at),
	appliedRevision: nullable<number>(row.applied_revision),
	appliedAt: nullable<string>(row.applied_at),
});
export const toRevision = (row: Row): RevisionRecord => ({
	orgId: row.org_id as string,
	revision: row.revision as number,
	signedJson: row.signed_json as string,
	createdAt: row.created_at as string,
	createdBy: row.created_by as string,
});
export const toInvitation = (row: Row): InvitationRecord => ({
	tokenHash: row.token_hash as string,
	orgId: row.org_id as string,
	email: row.email as string,
	role: row.role as InvitationRecord['role'],
	createdBy: row.created_by as string,
	createdAt: row.created_at as string,
	expiresAt: row.expires_at as string,
	acceptedAt: nullable<string>(row.accepted_at),
});
export const toDevice = (row: Row): DeviceCodeRecord => ({
	deviceCodeHash: row.device_code_hash as string,
	userCode: row.user_code as string,
	clientId: row.client_id as string,
	expiresAt: row.expires_at as number,
	intervalSeconds: row.interval_seconds as number,
	lastPolledAt: nullable<number>(row.last_polled_at),
	status: row.status as DeviceCodeRecord['status'],
	userId: nullable<string>(row.user_id),
});
export const toToken = (row: Row): TokenRecord => ({
	tokenHash: row.token_hash as string,
	kind: row.kind as TokenKind,
	userId: row.user_id as string,
	orgId: row.org_id as string,
	familyId: nullable<string>(row.family_id),
	expiresAt: nullable<number>(row.expires_at),
	createdAt: row.created_at as number,
	usedAt: nullable<number>(row.used_at),
	revokedAt: nullable<number>(row.revoked_at),
	csrfToken: nullable<string>(row.csrf_token),
	label: nullable<string>(row.label),
});

/** The columns that read a token together with its user in one query. */
export const TOKEN_WITH_USER_SELECT = `SELECT t.*, u.id AS u_id, u.org_id AS u_org_id, u.email AS u_email, u.role AS u_role, u.password_hash AS u_password_hash,
	u.created_at AS u_created_at, u.last_seen_at AS u_last_seen_at, u.applied_revision AS u_applied_revision, u.applied_at AS u_applied_at
FROM tokens t JOIN users u ON u.id = t.user_id`;

export function toTokenWithUser(row: Row | undefined): { token: TokenRecord; user: UserRecord } | undefined {
	if (!row) {
		return undefined;
	}
	const user = Object.fromEntries(Object.entries(row).filter(([key]) => key.startsWith('u_')).map(([key, value]) => [key.slice(2), value]));
	return { token: toToken(row), user: toUser(user) };
}
