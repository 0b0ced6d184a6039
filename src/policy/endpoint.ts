import type { ProviderSettings } from './schema';
import type { ModelApi } from './model-settings';

/**
 * Where requests go, worked out once from the provider settings. `query` holds only `api-version`;
 * any other query of the base URL stays on `baseURL`, every value of a repeated key included.
 * `deployment` is set when the base URL names one (`…/openai/deployments/{name}`): it is then the
 * model every request uses.
 */
export type EndpointPlan =
	| { style: 'openai'; baseURL: string; query: Record<string, string> }
	| {
			style: 'azure-deployments';
			endpoint: string;
			baseURL: string;
			apiVersion: string;
			query: Record<string, string>;
			deployment?: string;
	  }
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
	// Whatever an admin copies from the Azure portal or another product's docs: a full
	// …/chat/completions URL, a deployment's URL, …/openai, …/openai/v1 or the resource root.
	let path = url.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
	const named = provider.azure ? /\/openai\/deployments\/([^/]+)$/.exec(path) : null;
	const deployment = named ? decodeURIComponent(named[1]!) : undefined;
	if (named) {
		path = path.slice(0, named.index) + '/openai';
	}
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
	return {
		style: 'azure-deployments',
		endpoint,
		baseURL: `${endpoint}/openai${search}`,
		apiVersion,
		query: versioned(apiVersion),
		...(deployment ? { deployment } : {}),
	};
}

/**
 * The URL a request for this model goes to, as members' clients call it: Chat Completions, or the
 * Responses API (which even Azure's deployments API calls without the deployment in the path).
 */
export function requestUrl(plan: EndpointPlan, model: string, api: ModelApi = 'chat-completions'): string {
	const [base, search = ''] = plan.baseURL.split('?');
	const path =
		api === 'responses'
			? '/responses'
			: plan.style === 'azure-deployments'
				? `/deployments/${encodeURIComponent(plan.deployment ?? model)}/chat/completions`
				: '/chat/completions';
	const query = new URLSearchParams(search);
	for (const [key, value] of Object.entries(plan.query)) {
		query.set(key, value);
	}
	const joined = query.toString();
	return `${base}${path}${joined ? `?${joined}` : ''}`;
}

/** The URL for `model`, or, with none named yet, with a readable `{deployment}`/`{model}` where it goes (for the console). */
export function previewRequestUrl(plan: EndpointPlan, model: string | undefined, api: ModelApi = 'chat-completions'): string {
	if (model) {
		return requestUrl(plan, model, api);
	}
	const sentinel = 'opp-model-placeholder';
	return requestUrl(plan, sentinel).replace(sentinel, plan.style === 'azure-deployments' ? '{deployment}' : '{model}');
}
