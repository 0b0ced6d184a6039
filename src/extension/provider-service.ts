import * as vscode from 'vscode';
import type { ChatClient } from '../client/chat-client';
import { apiKeyCredential, entraCredential, noCredential, type CredentialSource } from '../client/credentials';
import type { FetchFunction } from '../client/http';
import { Disposable, Emitter } from './base/disposable';
import { allowedModels, effectiveSettings, type EffectiveSettings } from './lock/effective';
import { readMemberProvider } from './settings';
import type { PolicySync } from './sync/policy-sync';

type EntraModule = typeof import('../client/entra');
export type ChatClientModule = typeof import('../client/chat-client');

/**
 * The member's effective provider (policy or own choice), its credentials and its chat client.
 * Keys live in secret storage per organization and base URL, never in settings.
 */
export class ProviderService extends Disposable {
	private readonly changed = this._register(new Emitter<EffectiveSettings>());
	readonly onDidChange = this.changed.event;
	private effective: EffectiveSettings;
	private entraModule: EntraModule | undefined;
	private readonly entraProviders = new Map<string, () => Promise<string>>();
	/** Reused until the settings or the key change, so the SDK client is built once, not per request. */
	private cachedClient: ChatClient | undefined;

	constructor(
		private readonly context: vscode.ExtensionContext,
		private readonly sync: PolicySync,
		private readonly fetch: () => FetchFunction,
		/** The openai SDK is bundled apart and loaded on first use, off the activation path. */
		private readonly loadChatClient: () => ChatClientModule,
		private readonly loadEntra: () => EntraModule,
	) {
		super();
		this.effective = this.compute();
		this._register(sync.onDidChangeState(() => this.recompute()));
		// A key set or cleared in another window: build the next client with it.
		this._register(context.secrets.onDidChange(({ key }) => key.startsWith('orgProviderPolicy.apiKey.') && (this.cachedClient = undefined)));
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
		return effectiveSettings(this.sync.current.policy?.document, readMemberProvider());
	}

	private keyName(): string {
		const organization = this.effective.locked ? this.effective.organization?.id : 'personal';
		return `orgProviderPolicy.apiKey.${organization}.${this.effective.provider?.baseUrl ?? ''}`;
	}

	async setApiKey(key: string): Promise<void> {
		await this.context.secrets.store(this.keyName(), key);
		this.cachedClient = undefined;
	}

	async clearApiKey(): Promise<void> {
		await this.context.secrets.delete(this.keyName());
		this.cachedClient = undefined;
	}

	credentials(): CredentialSource {
		const provider = this.effective.provider;
		const azure = provider?.azure;
		if (azure?.identityAuth) {
			return entraCredential(() => this.entraToken(azure.scope, azure.tenantId));
		}
		if (provider && !provider.apiKeyRequired) {
			return noCredential;
		}
		const name = this.keyName();
		return apiKeyCredential(async () => this.context.secrets.get(name));
	}

	private async entraToken(scope: string, tenantId: string | undefined): Promise<string> {
		const scopes = tenantId ? [scope, `VSCODE_TENANT:${tenantId}`] : [scope];
		try {
			const session = await vscode.authentication.getSession('microsoft', scopes, { createIfNone: true });
			return session.accessToken;
		} catch {
			// No Microsoft sign-in here (e.g. a remote or web host): fall back to @azure/identity.
		}
		// One provider per scope and tenant: it caches the token until shortly before expiry.
		const key = `${scope} ${tenantId ?? ''}`;
		let provider = this.entraProviders.get(key);
		if (!provider) {
			this.entraModule ??= this.loadEntra();
			provider = this.entraModule.createEntraTokenProvider({
				scope,
				tenantId,
				onDeviceCode: (message) => void vscode.window.showInformationMessage(message, { modal: false }),
			});
			this.entraProviders.set(key, provider);
		}
		return provider();
	}

	client(): ChatClient {
		const provider = this.effective.provider;
		if (!provider) {
			throw new Error('No provider is set: run "Org Provider Policy: Select API Provider".');
		}
		// The fetch is looked up per request, so a changed proxy setting applies to a reused client too.
		this.cachedClient ??= this.loadChatClient().createChatClient(provider, { fetch: (input, init) => this.fetch()(input, init), credentials: this.credentials() });
		return this.cachedClient;
	}

	private modelKey(): string {
		return `orgProviderPolicy.model.${this.effective.organization?.id ?? 'personal'}`;
	}

	async models(): Promise<{ models: string[]; selected: string | undefined }> {
		const provider = this.effective.provider;
		const listed = provider?.models?.allowed ? [] : await this.client().listModels();
		const { models, preferred } = allowedModels(provider, listed);
		const stored = this.context.globalState.get<string>(this.modelKey());
		return { models, selected: stored && models.includes(stored) ? stored : preferred };
	}

	async selectModel(model: string): Promise<void> {
		const { models } = await this.models();
		if (!models.includes(model)) {
			throw new Error(`${model} is not an allowed model`);
		}
		await this.context.globalState.update(this.modelKey(), model);
		this.changed.fire(this.effective);
	}
}
