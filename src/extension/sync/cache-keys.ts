/** Where the last verified policy of each organization is kept, in global state. */
export const policyCacheKey = (orgId: string) => `orgProviderPolicy.cache.${orgId}`;
/** In secret storage: what the member's own disk cannot rewrite through settings or global state. */
export const PIN_KEY = 'orgProviderPolicy.pin';

/** What the cache holds per organization: the signed envelope as received. */
export interface CachedEnvelope {
	readonly envelope: unknown;
	readonly receivedAt: number;
}
