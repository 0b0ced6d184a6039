import * as vscode from 'vscode';
import type { Dispatcher } from 'undici';
import { createDispatcher, fetchThrough } from '../client';
import type { OrgProviderPolicyApi } from './api';
import { SessionManager } from './auth/session-manager';
import { Disposable, Emitter } from './base/disposable';
import { realScheduler } from './base/scheduler';
import { AuthFeature } from './features/auth-feature';
import { ChatFeature } from './features/chat-feature';
import { ProviderFeature } from './features/provider-feature';
import { SyncFeature } from './features/sync-feature';
import { ProviderService } from './provider-service';
import { readHttpOptions, readServerSettings } from './settings';
import { PolicySync } from './sync/policy-sync';
import type { ServiceConnection } from './sync/service-http';

type EntraModule = typeof import('../client/entra');

/** Builds the adapters and services once; each feature registers its own commands and views. */
export class OrgPolicyExtension extends Disposable {
	readonly api: OrgProviderPolicyApi;
	private dispatcher: Dispatcher;

	constructor(context: vscode.ExtensionContext, loadEntra: () => EntraModule) {
		super();
		const log = this._register(vscode.window.createOutputChannel('Org Provider Policy', { log: true }));
		this.dispatcher = createDispatcher(readHttpOptions());
		this._register({ dispose: () => void this.dispatcher.close() });
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => {
				if (event.affectsConfiguration('http') || event.affectsConfiguration('orgProviderPolicy.http')) {
					const previous = this.dispatcher;
					this.dispatcher = createDispatcher(readHttpOptions());
					void previous.close();
				}
			}),
		);
		const connection = (): ServiceConnection | undefined => {
			const { serverUrl } = readServerSettings();
			return serverUrl ? { serverUrl, fetch: fetchThrough(this.dispatcher) } : undefined;
		};

		const sessions = this._register(new SessionManager(context.secrets, connection, realScheduler));
		const sync = this._register(new PolicySync(context.globalState, realScheduler));
		const provider = this._register(new ProviderService(context, sync, () => this.dispatcher, loadEntra));
		const auth = this._register(new AuthFeature(sessions, log));
		const syncFeature = this._register(new SyncFeature(sessions, sync, provider, connection, log));
		this._register(new ProviderFeature(provider, log));
		this._register(new ChatFeature(context.extensionUri, provider, log));

		const changed = this._register(new Emitter<void>());
		this._register(sync.onDidChangeState(() => changed.fire()));
		this._register(provider.onDidChange(() => changed.fire()));
		this.api = {
			version: 1,
			policy: () => sync.current.policy?.document,
			syncState: () => sync.current,
			effectiveSettings: () => provider.current,
			models: () => provider.models(),
			onDidChange: changed.event,
			onDidShowDeviceCode: auth.onDidShowDeviceCode,
		};

		void sessions.reload().then((session) => {
			if (session) {
				syncFeature.startSync();
			}
		});
	}
}
