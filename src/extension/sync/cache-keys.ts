import type { KeyValueStore, SecretStore } from '../base/storage';

// On the activation path: no zod, no policy index.

/**
 * Where the last verified policy of each organization is kept: in secret storage, since its custom
 * header values may be secrets (a gateway's key). Releases up to 0.2.x kept it under the same key in
 * global state, which VS Code writes to disk in plain text; it is read from there only until moved.
 */
export const CACHE_KEY_PREFIX = 'orgProviderPolicy.cache.';
export const policyCacheKey = (orgId: string) => `${CACHE_KEY_PREFIX}${orgId}`;
/** In secret storage: what the member's own disk cannot rewrite through settings or global state. */
export const PIN_KEY = 'orgProviderPolicy.pin';

/** What the cache holds per organization: the signed envelope as received. */
export interface CachedEnvelope {
	readonly envelope: unknown;
	readonly receivedAt: number;
}

/** Where a cached envelope was read from: `legacy` is an earlier release's copy in global state. */
export interface CacheRead {
	readonly cached: CachedEnvelope | undefined;
	readonly legacy: boolean;
}

/**
 * The organization's cached envelope: secret storage's copy, else an earlier release's in global
 * state. Global state is read first: a window that moves the copy writes secret storage before it
 * clears global state, so a copy gone from global state is already in secret storage.
 */
export async function readCachedEnvelope(secrets: SecretStore, state: KeyValueStore, organizationId: string): Promise<CacheRead> {
	const key = policyCacheKey(organizationId);
	const legacy = state.get<CachedEnvelope>(key);
	const stored = await secrets.get(key);
	if (stored !== undefined) {
		try {
			return { cached: JSON.parse(stored) as CachedEnvelope, legacy: false };
		} catch {
			// Unreadable is altered: no policy from it, as when a signature fails.
			return { cached: undefined, legacy: false };
		}
	}
	return { cached: legacy, legacy: legacy !== undefined };
}
