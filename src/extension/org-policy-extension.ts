import * as vscode from 'vscode';
import type { Dispatcher } from 'undici';
import type { FetchFunction } from '../client/http';
import type { OrgProviderPolicyApi } from './api';
import { OrganizationTokenSource } from './auth/organization-token';
import { SessionManager } from './auth/session-manager';
import { Disposable, Emitter } from './base/disposable';
import { realScheduler } from './base/scheduler';
import { AuthFeature } from './features/auth-feature';
import { ChatFeature } from './features/chat-feature';
import { ChatTranscript } from './features/chat-transcript';
import { LanguageModelFeature } from './features/language-model-feature';
import { ProviderFeature } from './features/provider-feature';
import { SyncFeature } from './features/sync-feature';
import { ProviderService, type ChatClientModule, type EntraModule } from './provider/provider-service';
import { EntraSignIn } from './features/entra-sign-in';
import { EntraCommands } from './features/entra-commands';
import { EffectiveStateEvents } from './provider/effective-state';
import { readHttpOptions, readMemberProvider, readServerSettings, watchServerSettings } from './settings';
import { PolicySync } from './sync/policy-sync';
import { withUserAgent, type ServiceConnection } from './base/service-http';
import { extensionUserAgent } from '../policy/user-agent';
import { UsageFeature } from './features/usage-feature';
import { TokenCounter } from './lm/token-counter';
import { createUsageParts } from './usage/usage-parts';
import { syncSessionFor } from './sync/sync-session';
import { PolicyTransport } from './sync/transport';
import { UtilityModelsFeature } from './features/utility-models-feature';
import { VsCodeChatFeature } from './features/vscode-chat-feature';
import type { StartUpPolicy } from './sync/start-up-policy';

export interface LazyModules {
	/** undici and the dispatcher: needed from the first request, not at activation. */
	http: () => typeof import('../client/http');
	chatClient: () => ChatClientModule;
	entra: () => EntraModule;
	/** gpt-tokenizer's encodings (several MB): only when a token count is asked for. */
	tokenizer: () => typeof import('../client/tokenizer');
}

/** Builds the adapters and services once; each feature registers its own commands and views. */
export class OrgPolicyExtension extends Disposable {
	readonly api: OrgProviderPolicyApi;
	/** Resolves once the last known policy is restored (or found unverifiable); sync starts after it. */
	readonly ready: Promise<void>;
	private dispatcher: Dispatcher | undefined;
	private boundFetch: FetchFunction | undefined;

	constructor(context: vscode.ExtensionContext, lazy: LazyModules, startUp: StartUpPolicy) {
		super();
		const log = this._register(vscode.window.createOutputChannel('Org Provider Policy', { log: true }));
		// The one dispatcher, made on the first request and remade when the proxy or CA settings change.
		const fetch = (): FetchFunction => {
			if (!this.boundFetch) {
				const http = lazy.http();
				this.dispatcher = http.createDispatcher(readHttpOptions());
				this.boundFetch = http.fetchThrough(this.dispatcher);
			}
			return this.boundFetch;
		};
		this._register({ dispose: () => void this.dispatcher?.close() });
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => {
				if (event.affectsConfiguration('http') || event.affectsConfiguration('orgProviderPolicy.http')) {
					void this.dispatcher?.close();
					this.dispatcher = undefined;
					this.boundFetch = undefined;
				}
			}),
		);
		const userAgent = extensionUserAgent(String(context.extension.packageJSON.version), vscode.version);
		const connection = (): ServiceConnection | undefined => {
			const { serverUrl } = readServerSettings();
			// The fetch is resolved per request, so the sync follows a changed proxy setting. The service
			// learns what each machine runs from the User-Agent (admins see it per sign-in on Members).
			return serverUrl ? { serverUrl, fetch: (input, init) => fetch()(input, withUserAgent(input, init, userAgent)) } : undefined;
		};

		const server = { read: () => readServerSettings(), onDidChange: this._register(watchServerSettings()).onDidChange };
		// A sign-in is used only with the service that issued it: a changed address sets it aside.
		const sessions = this._register(new SessionManager(context.secrets, connection, realScheduler, server.onDidChange));
		const sync = this._register(new PolicySync({ state: context.globalState, secrets: context.secrets }, realScheduler));
		// A signed-out member keeps the last policy they had (fail closed), even across restarts:
		// activation waits for it, so nothing is ever used unlocked in between.
		// What the activation path decided from the cache is in force before any feature registers.
		const restored = sync.adoptStartUp(startUp);
		const entraSignIn = new EntraSignIn(
			{
				getSession: (id, scopes, options) => vscode.authentication.getSession(id, scopes, options),
				ask: (question, detail, ...choices) => vscode.window.showInformationMessage(question, { modal: true, detail }, ...choices),
			},
			() => sync.current.policy?.document.organization.name,
		);
		const organizationTokens = new OrganizationTokenSource({
			connection,
			accessToken: () => sessions.accessToken(),
			refreshSession: () => sessions.refresh(),
			now: () => realScheduler.now(),
			organization: () => sync.current.policy?.document.organization.name,
		});
		// Another account, or none: the token held for the previous one is not sent again.
		this._register(sessions.onDidChange(() => organizationTokens.discard()));
		const tokens = new TokenCounter(lazy.tokenizer, (model) => provider.modelSettings(model));
		const usage = createUsageParts({
			state: context.globalState,
			scheduler: realScheduler,
			policy: () => sync.current.policy?.document,
			locked: () => provider.current.locked,
			session: () => syncSessionFor(sessions, connection()),
			countTokens: (model, text) => tokens.count(model, text),
			notify: (message) => void vscode.window.showWarningMessage(message),
			log: (message) => log.warn(message),
		});
		const provider: ProviderService = this._register(
			new ProviderService(sync, {
				secrets: context.secrets,
				state: context.globalState,
				memberProvider: readMemberProvider,
				microsoftToken: (scopes) => entraSignIn.token(scopes),
				showMessage: (message) => void vscode.window.showInformationMessage(message),
				logDetail: (message) => log.warn(message),
				fetch,
				proxy: () => lazy.http().configuredProxy(readHttpOptions()),
				loadChatClient: lazy.chatClient,
				loadEntra: lazy.entra,
				userAgent,
				meter: usage.meter,
				organizationTokens,
			}),
		);
		const auth = this._register(new AuthFeature(sessions, log));
		this._register(new EntraCommands(entraSignIn));
		const effective = this._register(new EffectiveStateEvents(sync, provider));
		const vscodeChat = this._register(new VsCodeChatFeature(provider, context.globalState, log));
		const syncFeature = this._register(
			new SyncFeature(sessions, sync, provider, connection, log, server, effective, () => vscodeChat.current),
		);
		const providerFeature = this._register(new ProviderFeature(provider, log));
		this._register(
			new ChatFeature(context.extensionUri, provider, log, new ChatTranscript(context.workspaceState), () =>
				Boolean(readServerSettings().serverUrl),
			),
		);
		this._register(new LanguageModelFeature(provider, effective, tokens, log));
		this._register(usage.reporter);
		this._register(new UsageFeature(usage.ledger, usage.reporter, () => sync.current.policy?.document, effective));
		this._register(
			new UtilityModelsFeature(
				provider,
				context.globalState,
				async (values) => {
					const session = syncSessionFor(sessions, connection());
					if (session) {
						await new PolicyTransport(session).reportVsCodeSettings(values, AbortSignal.timeout(10_000));
					}
				},
				log,
			),
		);

		const changed = this._register(new Emitter<void>());
		this._register(effective.onDidChange(() => changed.fire()));
		this.api = {
			version: 1,
			policy: () => sync.current.policy?.document,
			syncState: () => sync.current,
			effectiveSettings: () => provider.current,
			models: () => provider.models(),
			onDidChange: changed.event,
			onDidShowDeviceCode: auth.onDidShowDeviceCode,
			onDidAnnounce: providerFeature.onDidAnnounce,
			vscodeChat: () => vscodeChat.current,
		};

		this.ready = restored;
		void restored
			.then(() => sessions.reload())
			.catch((error: unknown) => {
				// Secret storage refused: treated as no sign-in (the cached policy stays in force), and said.
				log.warn(`could not read the stored sign-in: ${error instanceof Error ? error.message : String(error)}`);
				return undefined;
			})
			// A stored sign-in found starts sync through the session's change event (SyncFeature listens).
			.then(() => syncFeature.sessionWasRead());
	}
}

/** A token from VS Code's own Microsoft sign-in, asking the member if needed; undefined where there is none. */
