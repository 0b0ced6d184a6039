import type { UserRecord } from '../../src/server/store/store';

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
