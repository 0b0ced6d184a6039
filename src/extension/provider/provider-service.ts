import type { ChatClient, CompletionEvent, CompletionRequest } from '../../client/chat-client';
import { requestParameters, type ModelSettings, type ReasoningEffort, type UsageCaller } from '../../policy';
import type { CredentialSource } from '../../client/credentials';
import type { OrganizationTokenSource } from '../auth/organization-token';
import { API_KEY_PREFIX, MemberCredentials } from './member-credentials';
import type { FetchFunction } from '../../client/http';
import { Disposable, Emitter, type Event } from '../base/disposable';
import type { KeyValueStore, SecretStore } from '../base/storage';
import {
	allowedModels,
	effectiveSettings,
	unverifiedSettings,
	type EffectiveSettings,
	type MemberProviderSettings,
} from '../lock/effective';
import type { SyncState } from '../sync/policy-sync';
import type { UsageMeter } from '../usage/usage-meter';

export type EntraModule = typeof import('../../client/entra');
export type ChatClientModule = typeof import('../../client/chat-client');

/** What the provider needs of the policy sync: the applied policy and word of its changes. */
export interface PolicySource {
	readonly current: SyncState | Pick<SyncState, 'policy'>;
	readonly onDidChangeState: Event<unknown>;
}

/** What the provider needs of VS Code, each as one small function. */
export interface ProviderHost {
	readonly secrets: SecretStore;
	/** Where the selected model is remembered (global state). */
	readonly state: KeyValueStore;
	/** The member's own provider settings, read when the policy does not govern. */
	readonly memberProvider: () => MemberProviderSettings;
	/** An Entra ID token from VS Code's Microsoft sign-in; undefined where the host has none. */
	readonly microsoftToken: (scopes: string[]) => Promise<string | undefined>;
	/** Shows the device-code message of the @azure/identity fallback. */
	readonly showMessage: (message: string) => void;
	/** Writes to the output channel only: the detail behind a one-sentence error. */
	readonly logDetail: (message: string) => void;
	/** The one dispatcher's fetch, looked up per request so a changed proxy setting applies. */
	readonly fetch: () => FetchFunction;
	/** The proxy in use (host:port), named in errors that are the proxy's. */
	readonly proxy?: () => string | undefined;
	/** The openai SDK is bundled apart and loaded on first use, off the activation path. */
	readonly loadChatClient: () => ChatClientModule;
	readonly loadEntra: () => EntraModule;
	/** Sent as every request's User-Agent: this extension's and VS Code's versions. */
	readonly userAgent?: string;
	/** The member's organization tokens, for a policy that sends one instead of a key. */
	readonly organizationTokens?: Pick<OrganizationTokenSource, 'token' | 'facts' | 'discard'>;
	/** Counts every request for the organization's usage report (when its policy asks for one). */
	readonly meter?: Pick<UsageMeter, 'measure'>;
}

/** In global state: the organization whose enforcement ended, while the member's own provider waits for their yes. */
const PAUSED_KEY = 'orgProviderPolicy.ownProviderPaused';

function pausedSettings(organization: string, member: EffectiveSettings): EffectiveSettings {
	return {
		...member,
		provider: undefined,
		label: 'Own provider off',
		warnings: [
			`${organization} no longer manages your AI provider. Your own provider (${member.label}) stays off until you turn it on: run "Org Provider Policy: Use My Own Provider".`,
		],
	};
}

/**
 * The member's effective provider (policy or own choice), its credentials and its chat client.
 * Keys live in secret storage per organization and base URL, never in settings.
 */
export class ProviderService extends Disposable {
	private readonly changed = this._register(new Emitter<EffectiveSettings>());
	readonly onDidChange = this.changed.event;
	private readonly credentialsChanged = this._register(new Emitter<void>());
	/** A key was entered or removed, here or in another window. */
	readonly onDidChangeCredentials = this.credentialsChanged.event;
	private effective: EffectiveSettings;
	private readonly memberCredentials: MemberCredentials;
	/** Reused until the settings or the key change, so the SDK client is built once, not per request. */
	private cachedClient: ChatClient | undefined;

	constructor(
		private readonly policy: PolicySource,
		private readonly host: ProviderHost,
	) {
		super();
		this.memberCredentials = new MemberCredentials(host, () => this.effective);
		this.effective = this.compute();
		this._register(policy.onDidChangeState(() => this.recompute()));
		// A key set or cleared in another window: build the next client with it.
		this._register(
			host.secrets.onDidChange(({ key }) => {
				if (key.startsWith(API_KEY_PREFIX)) {
					this.cachedClient = undefined;
					this.credentialsChanged.fire();
				}
			}),
		);
	}

	get current(): EffectiveSettings {
		return this.effective;
	}

	recompute(): void {
		const next = this.compute();
		if (JSON.stringify(next) !== JSON.stringify(this.effective)) {
			this.effective = next;
			this.cachedClient = undefined;
			this.changed.fire(next);
		}
	}

	private compute(): EffectiveSettings {
		const current = this.policy.current;
		if ('status' in current && current.status === 'cannot-verify') {
			return unverifiedSettings(current.organizationId);
		}
		const next = effectiveSettings(current.policy?.document, this.host.memberProvider());
		// When an organization stops enforcing, the member's own provider (maybe public, maybe with a
		// personal key) is not used behind their back: it waits for their yes (useOwnProvider).
		const previous = this.effective as EffectiveSettings | undefined;
		if (next.locked) {
			this.markPaused(undefined);
			return next;
		}
		if (previous?.locked && previous.provider && previous.organization) {
			this.markPaused(previous.organization.name);
			return pausedSettings(previous.organization.name, next);
		}
		const paused = this.host.state.get<string>(PAUSED_KEY);
		return paused ? pausedSettings(paused, next) : next;
	}

	/** Every sync state change recomputes: global state is written only when the mark actually changes. */
	private markPaused(organization: string | undefined): void {
		if (this.host.state.get<string>(PAUSED_KEY) !== organization) {
			void this.host.state.update(PAUSED_KEY, organization);
		}
	}

	/** The member chose their own provider again after their organization stopped managing it. */
	async useOwnProvider(): Promise<void> {
		await this.host.state.update(PAUSED_KEY, undefined);
		this.recompute();
	}

	/** Who set the endpoint, while a policy governs: named in errors the member cannot fix alone. */
	private ownerOfEndpoint(): string | undefined {
		const organization = this.effective.locked ? this.effective.organization : undefined;
		return organization && (organization.adminContact ? `${organization.name} (contact ${organization.adminContact})` : organization.name);
	}

	/** Whether requests now need an API key the member has not entered for this endpoint. */
	needsApiKey(): Promise<boolean> {
		return this.memberCredentials.needsApiKey();
	}

	async setApiKey(key: string): Promise<void> {
		await this.memberCredentials.setApiKey(key);
		this.cachedClient = undefined;
		this.credentialsChanged.fire();
	}

	async clearApiKey(): Promise<void> {
		await this.memberCredentials.clearApiKey();
		this.cachedClient = undefined;
		this.credentialsChanged.fire();
	}

	credentials(): CredentialSource {
		return this.memberCredentials.credentials();
	}

	client(): ChatClient {
		const provider = this.effective.provider;
		const current = this.policy.current;
		if ('status' in current && current.status === 'cannot-verify') {
			throw new Error(`Locked: ${current.message}.`);
		}
		if (!provider) {
			throw new Error(this.effective.warnings[0] ?? 'No provider is set: run "Org Provider Policy: Select API Provider".');
		}
		const owner = this.ownerOfEndpoint();
		// The fetch is looked up per request, so a changed proxy setting applies to a reused client too.
		this.cachedClient ??= this.host.loadChatClient().createChatClient(provider, {
			fetch: (input, init) => this.host.fetch()(input, init),
			credentials: this.credentials(),
			...(this.host.proxy ? { proxy: this.host.proxy } : {}),
			...(owner ? { owner } : {}),
			...(this.host.userAgent ? { userAgent: this.host.userAgent } : {}),
		});
		return this.cachedClient;
	}

	/** What the organization says about a model (its per-model settings), while its policy is in force. */
	modelSettings(model: string): ModelSettings | undefined {
		return this.effective.locked ? this.effective.provider?.models?.settings?.[model] : undefined;
	}

	/**
	 * The one request path of the chat view and the Language Model provider: the request
	 * parameters come from the model's settings in the policy (pinned, forbidden, output cap),
	 * merged with what the caller asked for.
	 */
	stream(
		request: Omit<CompletionRequest, 'parameters'> & { asked?: Record<string, unknown> | undefined },
		signal?: AbortSignal,
		caller: UsageCaller = 'chat-view',
	): AsyncIterable<CompletionEvent> {
		const { asked, ...rest } = request;
		const settings = this.modelSettings(request.model);
		const parameters = requestParameters(settings, asked);
		const events = this.client().streamCompletion({ ...rest, parameters, showsThinking: caller === 'chat-view' }, signal);
		const prompt = () => JSON.stringify([rest.messages, rest.tools ?? []]);
		const metered = { caller, model: request.model, api: settings?.api ?? ('chat-completions' as const), prompt };
		return this.host.meter ? this.host.meter.measure(metered, events, signal) : events;
	}

	private modelKey(): string {
		return `orgProviderPolicy.model.${this.effective.organization?.id ?? 'personal'}`;
	}

	async models(): Promise<{ models: string[]; selected: string | undefined }> {
		const provider = this.effective.provider;
		const listed = provider?.models?.allowed ? [] : await this.client().listModels();
		const { models, preferred } = allowedModels(provider, listed);
		const stored = this.host.state.get<string>(this.modelKey());
		return { models, selected: stored && models.includes(stored) ? stored : preferred };
	}

	/** The model the member last chose, as stored (Test Connection tries it when the endpoint's list is used). */
	chosenModel(): string | undefined {
		return this.host.state.get<string>(this.modelKey());
	}

	/**
	 * The reasoning efforts the policy lets members pick for this model (`reasoningEfforts`), with the
	 * member's choice and what is sent without one (the set's first, for a reasoning model);
	 * undefined where there is nothing to pick (no set, or one effort pinned for all).
	 */
	effortChoice(
		model: string,
	): { efforts: readonly ReasoningEffort[]; chosen: ReasoningEffort | undefined; unchosen: ReasoningEffort | undefined } | undefined {
		const settings = this.modelSettings(model);
		const efforts = settings?.reasoningEfforts;
		if (!efforts) {
			return undefined;
		}
		// A choice the policy no longer allows is not made: what is sent without one applies again.
		const stored = this.host.state.get<string>(this.effortKey(model));
		return { efforts, chosen: efforts.find((effort) => effort === stored), unchosen: settings.reasoning ? efforts[0] : undefined };
	}

	/** Keeps the member's effort for this model (per organization); undefined goes back to sending none of the member's own. */
	async selectEffort(model: string, effort: string | undefined): Promise<void> {
		if (effort !== undefined && !this.effortChoice(model)?.efforts.includes(effort as ReasoningEffort)) {
			throw new Error(`${effort} is not a reasoning effort your organization allows for ${model}`);
		}
		await this.host.state.update(this.effortKey(model), effort);
	}

	private effortKey(model: string): string {
		return `${this.modelKey()}.effort.${model}`;
	}

	async selectModel(model: string): Promise<void> {
		const { models } = await this.models();
		if (!models.includes(model)) {
			throw new Error(`${model} is not an allowed model`);
		}
		await this.host.state.update(this.modelKey(), model);
		this.changed.fire(this.effective);
	}
}
