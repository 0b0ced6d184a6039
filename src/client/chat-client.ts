import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI } from 'openai';
import type { ProviderSettings } from '../policy';
import { MissingCredentialError, type CredentialSource } from './credentials';
import { looksLikeAzureHost, planEndpoint, type EndpointPlan } from './endpoint';
import type { FetchFunction } from './http';

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

/** The provider settings a client is built from: a policy's, or the member's own preset. */
export type EffectiveProvider = Pick<ProviderSettings, 'baseUrl' | 'headers' | 'apiKeyRequired' | 'azure' | 'models'>;

export type FailureKind = 'unreachable' | 'timeout' | 'tls' | 'key-rejected' | 'missing-key' | 'azure-role' | 'forbidden' | 'not-found' | 'rate-limited' | 'server-error' | 'bad-response';

export interface ConnectionReport {
	ok: boolean;
	kind?: FailureKind;
	/** The sentence the member needs, with the next step. */
	message: string;
	endpoint: string;
	status?: number;
	/** Header names sent, values masked. */
	headersSent: Record<string, string>;
	models?: string[];
	warnings: string[];
}

export interface ChatClient {
	readonly plan: EndpointPlan;
	listModels(): Promise<string[]>;
	streamChat(messages: ChatMessage[], model: string, signal?: AbortSignal): AsyncIterable<string>;
	complete(messages: ChatMessage[], model: string, signal?: AbortSignal): Promise<string>;
	testConnection(): Promise<ConnectionReport>;
}

export class ChatRequestError extends Error {
	override readonly name = 'ChatRequestError';
	constructor(
		readonly kind: FailureKind,
		message: string,
		readonly status?: number,
	) {
		super(message);
	}
}

export interface ClientDeps {
	/** A fetch bound to the one dispatcher (see `fetchThrough`). */
	fetch: FetchFunction;
	credentials: CredentialSource;
	/** Request timeout; the dispatcher has its own connect/headers/body timeouts. */
	timeoutMs?: number;
}

const NO_KEY = 'no-member-key';
const TLS_CODES = new Set([
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'CERT_UNTRUSTED',
]);
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function causeCode(error: unknown): string | undefined {
	for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
		const code = (cause as { code?: unknown }).code;
		if (typeof code === 'string') {
			return code;
		}
	}
	return undefined;
}

/** Turns a failure into the sentence a member needs (the admin guide's troubleshooting). */
export function explainFailure(error: unknown, provider: EffectiveProvider, credential: CredentialSource['kind']): ChatRequestError {
	const host = new URL(provider.baseUrl).host;
	if (error instanceof ChatRequestError) {
		return error;
	}
	if (error instanceof MissingCredentialError) {
		return new ChatRequestError('missing-key', `${error.message} Run "Org Provider Policy: Set API Key".`);
	}
	if (error instanceof APIError && error.status !== undefined) {
		const status = error.status;
		if (status === 401 && credential === 'entra') {
			return new ChatRequestError('azure-role', `${host} refused your Entra ID token (401). Check that you signed in to the right tenant, and that your account has the Cognitive Services OpenAI User role on the Azure OpenAI resource.`, status);
		}
		if (status === 401) {
			return new ChatRequestError('key-rejected', `${host} rejected your API key (401). Check the key, or set a new one with "Org Provider Policy: Set API Key".`, status);
		}
		if (status === 403 && credential === 'entra') {
			return new ChatRequestError('azure-role', `Your account is signed in but lacks a role on the Azure OpenAI resource at ${host} (403). Ask your admin to assign you the Cognitive Services OpenAI User role.`, status);
		}
		if (status === 403) {
			return new ChatRequestError('forbidden', `${host} refused the request (403): the key may lack access to this resource, or the resource's network rules block this machine.`, status);
		}
		if (status === 404 && provider.azure) {
			return new ChatRequestError('not-found', `${host} answered 404: the deployment name or the api-version (${provider.azure.apiVersion ?? 'v1 API'}) does not match the resource. Check the model/deployment name and the policy's Azure API Version.`, status);
		}
		if (status === 404) {
			return new ChatRequestError('not-found', `${host} answered 404: check the Base URL (OpenAI-compatible servers usually end in /v1) and the model name.`, status);
		}
		if (status === 429) {
			return new ChatRequestError('rate-limited', `${host} is rate-limiting requests (429); wait a moment and try again.`, status);
		}
		if (status >= 500) {
			return new ChatRequestError('server-error', `${host} failed with ${status}; the endpoint has a problem, try again later or tell your admin.`, status);
		}
		return new ChatRequestError('bad-response', `${host} answered ${status}: ${error.message}`, status);
	}
	const code = causeCode(error);
	if (error instanceof APIConnectionTimeoutError || (code && TIMEOUT_CODES.has(code))) {
		return new ChatRequestError('timeout', `${host} did not answer in time: the endpoint is unreachable from this machine. Check the Base URL, your firewall and proxy settings (http.proxy).`);
	}
	if (code && TLS_CODES.has(code)) {
		return new ChatRequestError('tls', `The certificate of ${host} is not trusted (${code}). If your organization inspects TLS, add its root certificate with the "orgProviderPolicy.http.caCertificates" setting or NODE_EXTRA_CA_CERTS.`);
	}
	if (error instanceof APIConnectionError || (code && UNREACHABLE_CODES.has(code))) {
		return new ChatRequestError('unreachable', `Cannot reach ${host}${code ? ` (${code})` : ''}: the endpoint is unreachable from this machine. Check the Base URL, your firewall and proxy settings (http.proxy).`);
	}
	return new ChatRequestError('bad-response', `Request to ${host} failed: ${error instanceof Error ? error.message : String(error)}`);
}

function credentialHeaders(provider: EffectiveProvider, plan: EndpointPlan, credential: CredentialSource['kind']): Record<string, string | null> {
	// The SDK always sends some credential header; with no member credential it must send none,
	// unless the policy's own headers carry one (a gateway's shared scheme).
	if (credential !== 'none') {
		return plan.style === 'azure-v1' && credential === 'api-key' ? { authorization: null } : {};
	}
	const own = new Set(Object.keys(provider.headers).map((name) => name.toLowerCase()));
	return {
		...(own.has('authorization') ? {} : { authorization: null }),
		...(plan.style !== 'openai' && !own.has('api-key') ? { 'api-key': null } : {}),
	};
}

/** Builds the client the settings describe: `OpenAI` for plain endpoints and Azure's v1 API, `AzureOpenAI` for deployments. */
export function createChatClient(provider: EffectiveProvider, deps: ClientDeps): ChatClient {
	const plan = planEndpoint(provider);
	const credential = deps.credentials;
	const common = {
		fetch: deps.fetch,
		maxRetries: 0,
		timeout: deps.timeoutMs ?? 120_000,
		defaultQuery: plan.query,
	};

	// One SDK client per chat client: constructing it costs more than a local request.
	let sdk: Promise<OpenAI> | undefined;
	const build = (): Promise<OpenAI> => {
		sdk ??= construct().catch((error: unknown) => {
			sdk = undefined;
			throw error;
		});
		return sdk;
	};
	const construct = async (): Promise<OpenAI> => {
		const apiKey = credential.kind === 'api-key' ? await credential.getApiKey() : undefined;
		if (credential.kind === 'api-key' && !apiKey) {
			throw new MissingCredentialError('No API key is set for this endpoint.');
		}
		const headers = { ...provider.headers, ...credentialHeaders(provider, plan, credential.kind) };
		if (plan.style === 'azure-deployments') {
			return new AzureOpenAI({
				...common,
				endpoint: plan.endpoint,
				apiVersion: plan.apiVersion,
				defaultHeaders: headers,
				...(credential.kind === 'entra' ? { azureADTokenProvider: () => credential.getToken() } : { apiKey: apiKey ?? NO_KEY }),
			});
		}
		if (plan.style === 'azure-v1' && credential.kind === 'api-key') {
			return new OpenAI({ ...common, baseURL: plan.baseURL, apiKey: NO_KEY, defaultHeaders: { ...headers, 'api-key': apiKey! } });
		}
		return new OpenAI({
			...common,
			baseURL: plan.baseURL,
			apiKey: credential.kind === 'entra' ? () => credential.getToken() : (apiKey ?? NO_KEY),
			defaultHeaders: headers,
		});
	};

	const fail = (error: unknown): never => {
		if (error instanceof APIUserAbortError) {
			throw error;
		}
		throw explainFailure(error, provider, credential.kind);
	};

	const client: ChatClient = {
		plan,
		async listModels() {
			try {
				const sdk = await build();
				const ids: string[] = [];
				for await (const model of sdk.models.list()) {
					ids.push(model.id);
				}
				return ids.sort();
			} catch (error) {
				return fail(error);
			}
		},
		async *streamChat(messages, model, signal) {
			let stream;
			try {
				const sdk = await build();
				stream = await sdk.chat.completions.create({ model, messages, stream: true }, signal ? { signal } : {});
			} catch (error) {
				fail(error);
			}
			try {
				for await (const chunk of stream!) {
					const text = chunk.choices[0]?.delta?.content;
					if (text) {
						yield text;
					}
				}
			} catch (error) {
				fail(error);
			}
			// The SDK ends an aborted stream quietly; callers must still learn that it was cut short.
			if (signal?.aborted) {
				throw new APIUserAbortError();
			}
		},
		async complete(messages, model, signal) {
			try {
				const sdk = await build();
				const answer = await sdk.chat.completions.create({ model, messages }, signal ? { signal } : {});
				return answer.choices[0]?.message?.content ?? '';
			} catch (error) {
				return fail(error);
			}
		},
		async testConnection() {
			const headersSent = Object.fromEntries(Object.keys(provider.headers).map((name) => [name, '••••••']));
			if (credential.kind === 'api-key') {
				headersSent[plan.style === 'openai' ? 'Authorization' : 'api-key'] = '•••••• (your API key)';
			} else if (credential.kind === 'entra') {
				headersSent.Authorization = 'Bearer •••••• (Entra ID token)';
			}
			const warnings =
				!provider.azure && looksLikeAzureHost(provider.baseUrl)
					? ['The Base URL is an Azure OpenAI host but the policy has no Azure settings: requests use the plain OpenAI path and key header, which Azure may refuse. Ask your admin to turn on the Azure options.']
					: [];
			const endpoint = plan.style === 'azure-deployments' ? `${plan.endpoint}/openai` : plan.baseURL;
			try {
				const models = provider.models?.allowed ?? (await client.listModels());
				if (provider.models?.allowed) {
					await client.listModels().catch((error: unknown) => {
						// An endpoint may not list models; a policy list makes that harmless, but a credential or network failure is not.
						if (!(error instanceof ChatRequestError) || error.kind !== 'not-found') {
							throw error;
						}
					});
				}
				return { ok: true, message: `Connected to ${new URL(provider.baseUrl).host}: ${models.length} model${models.length === 1 ? '' : 's'} available.`, endpoint, headersSent, models, warnings };
			} catch (error) {
				const explained = explainFailure(error, provider, credential.kind);
				return { ok: false, kind: explained.kind, message: explained.message, endpoint, headersSent, warnings, ...(explained.status ? { status: explained.status } : {}) };
			}
		},
	};
	return client;
}
