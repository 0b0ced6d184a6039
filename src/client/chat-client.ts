import OpenAI, { APIError, APIUserAbortError, AzureOpenAI } from 'openai';
import type { EffectiveProvider } from './effective-provider';
import { MissingCredentialError, type CredentialSource } from './credentials';
import { bearerTokenProvider, credentialHeaders, environmentHeadersRemoved, NO_KEY, withTokenHeader } from './credential-wire';
import { streamCompletion, type CompletionEvent, type CompletionRequest } from './completion';
import { explainFailure, type ChatRequestError } from './errors';
import { testConnection, type ConnectionReport } from './connection-test';
import { planEndpoint, type EndpointPlan } from './endpoint';
import { ReasoningMemory, streamResponse } from './responses';
import { SentSecrets } from './sent-secrets';
import type { FetchFunction } from './http';

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

export type { EffectiveProvider } from './effective-provider';

export type {
	ChatCompletionContentPart,
	ChatCompletionFunctionTool,
	ChatCompletionMessageParam,
	CompletionEvent,
	CompletionRequest,
	TokenUsage,
} from './completion';
export { ChatRequestError, explainFailure, type FailureKind } from './errors';
export type { ConnectionReport, ModelProbe } from './connection-test';

export interface ChatClient {
	readonly plan: EndpointPlan;
	listModels(): Promise<string[]>;
	/** The one request path: text, whole tool calls and the finish reason, for the chat view and the Language Model provider alike. */
	streamCompletion(request: CompletionRequest, signal?: AbortSignal): AsyncIterable<CompletionEvent>;
	streamChat(messages: ChatMessage[], model: string, signal?: AbortSignal): AsyncIterable<string>;
	complete(messages: ChatMessage[], model: string, signal?: AbortSignal): Promise<string>;
	/** A one-token chat request to `model`: does it answer at all? */
	probe(model: string): Promise<void>;
	/** The member's sentence for a failure of this client's requests (to `model`, when one request's). */
	explain(error: unknown, model?: string): ChatRequestError;
	/** Listing and a real chat request to each allowed model (else to `selected`), reported apart. */
	testConnection(selected?: string): Promise<ConnectionReport>;
}

export interface ClientDeps {
	/** A fetch bound to the one dispatcher (see `fetchThrough`). */
	fetch: FetchFunction;
	credentials: CredentialSource;
	/** Request timeout; the dispatcher has its own connect/headers/body timeouts. */
	timeoutMs?: number;
	/** The proxy in use (host:port, no credentials), named when it is the one failing. */
	proxy?: () => string | undefined;
	/** Who set the endpoint (e.g. "Acme Corp (ai-platform@acme.example)"), named where the member cannot fix it. */
	owner?: string;
	/**
	 * The User-Agent of every request, e.g. `OrgProviderPolicy/0.3.0 (VS Code 1.117.0)`: the SDK's own
	 * is built from a class name the production build minifies away. A policy header may replace it.
	 */
	userAgent?: string;
}

/** Whether the endpoint refused one request parameter by name (OpenAI's `unsupported_parameter`). */
function refusesParameter(error: unknown, name: string): boolean {
	return error instanceof APIError && error.status === 400 && error.param === name;
}

/** Builds the client the settings describe: `OpenAI` for plain endpoints and Azure's v1 API, `AzureOpenAI` for deployments. */
export function createChatClient(provider: EffectiveProvider, deps: ClientDeps): ChatClient {
	const plan = planEndpoint(provider);
	const credential = deps.credentials;
	// Every option the SDK would otherwise read from the member's environment is given here:
	// while a policy is in force, nothing from OPENAI_* or AZURE_OPENAI_* may change the request.
	const tokenProvider = bearerTokenProvider(credential);
	const sentSecrets = new SentSecrets(provider, credential);
	const common = {
		fetch: sentSecrets.watching(withTokenHeader(deps.fetch, credential)),
		maxRetries: 0,
		timeout: deps.timeoutMs ?? 120_000,
		defaultQuery: plan.query,
		organization: null,
		project: null,
		webhookSecret: null,
		logLevel: 'off' as const,
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
		const headers = {
			...environmentHeadersRemoved(),
			...(deps.userAgent ? { 'User-Agent': deps.userAgent } : {}),
			...provider.headers,
			...credentialHeaders(provider, plan, credential),
		};
		if (plan.style === 'azure-deployments') {
			return new AzureOpenAI({
				...common,
				// baseURL rather than endpoint, so OPENAI_BASE_URL and AZURE_OPENAI_ENDPOINT are never read.
				baseURL: plan.baseURL,
				apiVersion: plan.apiVersion,
				defaultHeaders: headers,
				// An empty key, not none: none would read AZURE_OPENAI_API_KEY (and then refuse the token provider).
				...(tokenProvider ? { azureADTokenProvider: tokenProvider, apiKey: '' } : { apiKey: apiKey ?? NO_KEY }),
			});
		}
		if (plan.style === 'azure-v1' && credential.kind === 'api-key') {
			return new OpenAI({ ...common, baseURL: plan.baseURL, apiKey: NO_KEY, defaultHeaders: { ...headers, 'api-key': apiKey! } });
		}
		return new OpenAI({
			...common,
			baseURL: plan.baseURL,
			apiKey: tokenProvider ?? apiKey ?? NO_KEY,
			defaultHeaders: headers,
		});
	};

	/** A deployment named in the base URL is the model of every request. */
	const pinned = plan.style === 'azure-deployments' ? plan.deployment : undefined;
	const modelFor = (model: string) => pinned ?? model;
	/** The API the policy says a model is called through (never guessed from its name). */
	const settingsOf = (model: string) => provider.models?.settings?.[model];
	const viaResponses = (model: string) => settingsOf(model)?.api === 'responses';
	const reasoningMemory = new ReasoningMemory();
	// The usage chunk is asked for where the API version has the option (Azure's deployments API
	// before 2024-09-01 refuses it); an endpoint that refuses it anyway is not asked again.
	const usageOption = {
		wanted: plan.style !== 'azure-deployments' || plan.apiVersion >= '2024-09-01',
		refused() {
			this.wanted = false;
		},
	};

	const fail = (error: unknown, model?: string): never => {
		if (error instanceof APIUserAbortError) {
			throw error;
		}
		throw client.explain(error, model);
	};

	const client: ChatClient = {
		plan,
		async listModels() {
			if (pinned) {
				// The base URL names the deployment: it is the one model there is.
				return [pinned];
			}
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
		async *streamCompletion(request, signal) {
			try {
				const sdk = await build();
				const sent = { ...request, model: modelFor(request.model) };
				if (viaResponses(request.model)) {
					const settings = settingsOf(request.model);
					const options = {
						store: settings?.store === true,
						reasoning: settings?.reasoning === true,
						reasoningSummary: request.showsThinking ? settings?.reasoningSummary : undefined,
					};
					yield* streamResponse(sdk, sent, options, reasoningMemory, signal);
				} else {
					yield* streamCompletion(sdk, sent, signal, usageOption);
				}
			} catch (error) {
				if (signal?.aborted) {
					throw new APIUserAbortError();
				}
				fail(error, request.model);
			}
		},
		async *streamChat(messages, model, signal) {
			for await (const event of client.streamCompletion({ model, messages }, signal)) {
				if (event.type === 'text') {
					yield event.text;
				}
			}
		},
		async complete(messages, model, signal) {
			if (viaResponses(model)) {
				let text = '';
				for await (const piece of client.streamChat(messages, model, signal)) {
					text += piece;
				}
				return text;
			}
			try {
				const sdk = await build();
				const answer = await sdk.chat.completions.create({ model: modelFor(model), messages }, signal ? { signal } : {});
				return answer.choices[0]?.message?.content ?? '';
			} catch (error) {
				return fail(error, model);
			}
		},
		async probe(model) {
			try {
				const sdk = await build();
				// max_tokens is what every OpenAI-compatible server and Azure API version knows; reasoning
				// models refuse it and take max_completion_tokens (which also covers their reasoning). A
				// model without settings that refuses max_tokens is asked again the way such models take it.
				if (viaResponses(model)) {
					// 16 is the smallest output cap the Responses API takes.
					await sdk.responses.create({ model: modelFor(model), input: 'Reply with OK.', max_output_tokens: 16, store: false });
					return;
				}
				const reasoning = settingsOf(model)?.reasoning === true;
				const ask = (limit: { max_tokens: number } | { max_completion_tokens: number }) =>
					sdk.chat.completions.create({ model: modelFor(model), messages: [{ role: 'user', content: 'Reply with OK.' }], ...limit });
				try {
					await ask(reasoning ? { max_completion_tokens: 16 } : { max_tokens: 1 });
				} catch (error) {
					if (reasoning || !refusesParameter(error, 'max_tokens')) {
						throw error;
					}
					await ask({ max_completion_tokens: 16 });
				}
			} catch (error) {
				// Test Connection names the model beside the sentence already.
				fail(error);
			}
		},
		explain(error, model) {
			// The endpoint's words may repeat what was sent in confidence (see SentSecrets).
			return sentSecrets.maskError(explainFailure(error, provider, credential, deps.proxy?.(), deps.owner, model));
		},
		testConnection(selected) {
			return testConnection(client, provider, credential, selected);
		},
	};
	return client;
}
