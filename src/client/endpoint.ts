import type { ProviderSettings } from '../policy';

/**
 * Where requests go, worked out once from the provider settings. `query` holds only `api-version`;
 * any other query of the base URL stays on `baseURL`, every value of a repeated key included.
 */
export type EndpointPlan =
	| { style: 'openai'; baseURL: string; query: Record<string, string> }
	| { style: 'azure-deployments'; endpoint: string; baseURL: string; apiVersion: string; query: Record<string, string> }
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
 * An Azure host reached through an OpenAI-style API that needs no Azure settings: the v1 API
 * (`…/openai/v1`) and the Foundry Models API (`…/models`).
 */
export function azureOpenAiStylePath(baseUrl: string): boolean {
	try {
		return /\/(openai\/v1|models)\/?$/.test(new URL(baseUrl).pathname);
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
	const pastedVersion = url.searchParams.get('api-version') ?? undefined;
	url.searchParams.delete('api-version');
	const search = url.search;
	url.search = '';
	const path = url.pathname.replace(/\/+$/, '');
	const versioned = (version: string | undefined): Record<string, string> => (version ? { 'api-version': version } : {});
	if (!provider.azure) {
		return { style: 'openai', baseURL: `${url.origin}${path}${search}`, query: versioned(pastedVersion) };
	}
	const apiVersion = provider.azure.apiVersion ?? pastedVersion;
	const isV1 = apiVersion === undefined || apiVersion === 'preview' || apiVersion === 'latest' || /\/openai\/v1$/.test(path);
	if (isV1) {
		const v1Base = /\/openai\/v1$/.test(path) ? `${url.origin}${path}` : `${url.origin}${path.replace(/\/openai$/, '')}/openai/v1`;
		return { style: 'azure-v1', baseURL: `${v1Base}${search}`, query: versioned(apiVersion) };
	}
	const endpoint = `${url.origin}${path.replace(/\/openai$/, '')}`;
	return { style: 'azure-deployments', endpoint, baseURL: `${endpoint}/openai${search}`, apiVersion, query: versioned(apiVersion) };
}
