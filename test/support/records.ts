import type { TokenKind, TokenRecord, UserRecord } from '../../src/server/store/store';

/** A member's account as the store keeps it: no password (SCIM or SSO), never seen, never synced. */
export function memberRecord(id: string, options: { orgId?: string; createdAt?: number } = {}): UserRecord {
	const orgId = options.orgId ?? 'acme';
	return {
		id,
		orgId,
		email: `${id}@${orgId}.example`,
		role: 'member',
		passwordHash: null,
		createdAt: options.createdAt ?? 0,
		lastSeenAt: null,
		appliedRevision: null,
		appliedAt: null,
		deactivatedAt: null,
		externalId: null,
		breakGlass: false,
		policySchema: null,
	};
}

/** A VS Code sign-in's token as the store keeps it: live for an hour from `now`, in its own family unless given. */
export function signInToken(
	userId: string,
	tokenHash: string,
	options: { kind?: TokenKind; familyId?: string; now?: number; orgId?: string } = {},
): TokenRecord {
	const now = options.now ?? Date.now();
	return {
		tokenHash,
		kind: options.kind ?? 'refresh',
		userId,
		orgId: options.orgId ?? 'acme',
		familyId: options.familyId ?? `family-${tokenHash}`,
		clientId: 'vscode',
		expiresAt: now + 3600_000,
		createdAt: now,
		usedAt: null,
		revokedAt: null,
		csrfToken: null,
		label: null,
	};
}
