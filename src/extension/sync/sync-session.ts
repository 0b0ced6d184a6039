import type { PolicySigningKey } from '../../policy';
import type { ServiceConnection } from '../base/service-http';
import type { SyncSession } from './transport';

/** The signed-in member as the sync needs them: the key pinned at sign-in, and their tokens. */
export interface SignedInMember {
	readonly session: { readonly signingKey: PolicySigningKey; readonly organization: { readonly id: string } } | undefined;
	accessToken(): Promise<string | undefined>;
	refresh(): Promise<boolean>;
}

/**
 * The sync session for whoever is signed in now, over `connection`: the one place it is built (the
 * sync feature and the tests use it). Undefined while signed out or without a policy server.
 */
export function syncSessionFor(member: SignedInMember, connection: ServiceConnection | undefined): SyncSession | undefined {
	const stored = member.session;
	if (!stored || !connection) {
		return undefined;
	}
	return {
		connection,
		trust: { signingKey: stored.signingKey, organizationId: stored.organization.id },
		accessToken: () => member.accessToken(),
		refresh: () => member.refresh(),
	};
}
