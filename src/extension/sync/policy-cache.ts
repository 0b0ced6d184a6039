import { verifySignedPolicy, type PolicyTrust } from '../../policy';
import type { KeyValueStore } from '../base/storage';
import type { AppliedPolicy } from './state';

const cacheKey = (orgId: string) => `orgProviderPolicy.cache.${orgId}`;
const TRUST_KEY = 'orgProviderPolicy.trust';

/**
 * The last verified policy per organization, kept as the signed envelope so it is verified again
 * whenever it is read: a cache that no longer verifies is ignored, never applied.
 */
export class PolicyCache {
	constructor(private readonly store: KeyValueStore) {}

	/** The organization and key pinned at the last sign-in, for the start-up restore. */
	lastTrust(): PolicyTrust | undefined {
		return this.store.get<PolicyTrust>(TRUST_KEY);
	}

	async rememberTrust(trust: PolicyTrust): Promise<void> {
		await this.store.update(TRUST_KEY, trust);
	}

	load(trust: PolicyTrust): AppliedPolicy | undefined {
		const cached = this.store.get<{ envelope: unknown; receivedAt: number }>(cacheKey(trust.organizationId));
		if (!cached) {
			return undefined;
		}
		try {
			return { document: verifySignedPolicy(cached.envelope, trust).policy, source: 'cached', receivedAt: cached.receivedAt };
		} catch {
			return undefined;
		}
	}

	async save(organizationId: string, envelope: unknown, receivedAt: number): Promise<void> {
		await this.store.update(cacheKey(organizationId), { envelope, receivedAt });
	}
}
