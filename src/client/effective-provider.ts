import type { ProviderSettings } from '../policy';

/**
 * The provider settings a client is built from: a policy's, or the member's own preset. Header
 * values count as secret unless `readableHeaders` names them.
 */
export type EffectiveProvider = Pick<
	ProviderSettings,
	'baseUrl' | 'headers' | 'apiKeyRequired' | 'azure' | 'models' | 'organizationToken' | 'readableHeaders'
>;
