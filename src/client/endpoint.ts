import type { ProviderSettings } from '../policy';

/** Where requests go, worked out once from the provider settings. */
export type EndpointPlan =
	| { style: 'openai'; baseURL: string; query: Record<string, string> }
	| { style: 'azure-deployments'; endpoint: string; apiVersion: string; query: Record<string, string> }
	| { style: 'azure-v1'; baseURL: string; query: Record<string, string> };

const AZURE_HOSTS = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com|openai\.azure\.us|openai\.azure\.cn)$/i;

export function looksLikeAzureHost(baseUrl: string): boolean {
	try {
		return AZURE_HOSTS.test(new URL(baseUrl).hostname);
	} catch {
		return false;
	}
}

/**
 * Azure is detected by the policy's `azure` block, never by host name. `api-version` is taken from
 * the settings, else from the base URL, and sent exactly once.
 */
export function planEndpoint(provider: Pick<ProviderSettings, 'baseUrl' | 'azure'>): EndpointPlan {
	const url = new URL(provider.baseUrl);
	const query = Object.fromEntries(url.searchParams);
	const pastedVersion = query['api-version'];
	delete query['api-version'];
	url.search = '';
	const path = url.pathname.replace(/\/+$/, '');
	const base = `${url.origin}${path}`;
	if (!provider.azure) {
		return { style: 'openai', baseURL: base, query: pastedVersion ? { ...query, 'api-version': pastedVersion } : query };
	}
	const apiVersion = provider.azure.apiVersion ?? pastedVersion;
	const isV1 = apiVersion === undefined || apiVersion === 'preview' || apiVersion === 'latest' || /\/openai\/v1$/.test(path);
	if (isV1) {
		const v1Base = /\/openai\/v1$/.test(path) ? base : `${url.origin}${path.replace(/\/openai$/, '')}/openai/v1`;
		return { style: 'azure-v1', baseURL: v1Base, query: apiVersion ? { ...query, 'api-version': apiVersion } : query };
	}
	return { style: 'azure-deployments', endpoint: `${url.origin}${path.replace(/\/openai$/, '')}`, apiVersion, query };
}
