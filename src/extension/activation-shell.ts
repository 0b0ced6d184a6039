import * as vscode from 'vscode';
import type { PolicyDocument } from '../policy';
import type { PrecompiledValidators } from '../policy/precompiled-verification';
import type { OrgProviderPolicyApi } from './api';
import { documentForApi, settingsForApi, syncStateForApi } from './api-view';
import { Disposable, Emitter } from './base/disposable';
import type { Announcement } from './lock/announcements';
import type { OrgPolicyExtension } from './org-policy-extension';
import type { SyncState } from './sync/state';
import { CANNOT_VERIFY_MESSAGE, restoreAtStartUp, type StartUpPolicy } from './sync/start-up-policy';

// Everything imported here is on the activation path: no zod, no policy index, no feature.

export interface ShellModules {
	/** dist/policy-validators.js: generated at build time, see scripts/precompiled-validators.ts. */
	readonly validators: () => PrecompiledValidators;
	/** dist/extension-main.js: every feature. */
	readonly main: () => {
		createOrgPolicyExtension(context: vscode.ExtensionContext, startUp: StartUpPolicy): OrgPolicyExtension;
	};
}

/**
 * What activation runs: it decides from the cache, with precompiled checks, which policy is in
 * force (or that none verifies: locked) and hands that decision to the rest of the extension, which
 * loads right after activation or on first use — a command, or a call of the API that needs it.
 * Until then nothing that could use a provider exists, so the member is never unlocked.
 */
export class ActivationShell extends Disposable {
	readonly ready: Promise<void>;
	readonly api: OrgProviderPolicyApi;
	private startUp: StartUpPolicy = { kind: 'none' };
	private main: OrgPolicyExtension | undefined;
	private readonly commandProxies: vscode.Disposable[] = [];
	private readonly changed = this._register(new Emitter<void>());
	private readonly deviceCodes = this._register(new Emitter<{ userCode: string; verificationUri: string }>());
	private readonly announcements = this._register(new Emitter<Announcement>());

	constructor(
		private readonly context: vscode.ExtensionContext,
		private readonly modules: ShellModules,
	) {
		super();
		// A command run before the rest has loaded loads it, then reaches the command it registered.
		for (const id of contributedCommands(context)) {
			this.commandProxies.push(
				vscode.commands.registerCommand(id, (...args: unknown[]) => {
					this.loaded();
					return vscode.commands.executeCommand(id, ...args);
				}),
			);
		}
		this._register({ dispose: () => this.commandProxies.splice(0).forEach((proxy) => proxy.dispose()) });
		this.ready = this.start();
		this.api = {
			version: 1,
			// Header values are hidden from other extensions (see api-view.ts).
			policy: () => documentForApi(this.main ? this.main.api.policy() : this.startUpPolicy()),
			syncState: () => syncStateForApi(this.main ? this.main.api.syncState() : this.startUpState()),
			effectiveSettings: () => settingsForApi(this.loaded().api.effectiveSettings()),
			models: () => this.loaded().api.models(),
			onDidChange: this.changed.event,
			onDidShowDeviceCode: this.deviceCodes.event,
			onDidAnnounce: this.announcements.event,
			vscodeChat: () => this.main?.api.vscodeChat(),
		};
	}

	private async start(): Promise<void> {
		this.startUp = await restoreAtStartUp(this.context.secrets, this.context.globalState, this.modules.validators());
		if (this.startUp.kind === 'needs-full-check') {
			// A cache from an earlier release: the full check decides before activation ends.
			await this.loaded().ready;
			return;
		}
		// Right after activation: the event loop first finishes what activated us.
		setImmediate(() => this.loaded());
	}

	/** The rest of the extension, loaded once. */
	private loaded(): OrgPolicyExtension {
		if (this.main) {
			return this.main;
		}
		this.commandProxies.splice(0).forEach((proxy) => proxy.dispose());
		const main = this._register(this.modules.main().createOrgPolicyExtension(this.context, this.startUp));
		this.main = main;
		this._register(main.api.onDidChange(() => this.changed.fire()));
		this._register(main.api.onDidShowDeviceCode((code) => this.deviceCodes.fire(code)));
		this._register(main.api.onDidAnnounce((announcement) => this.announcements.fire(announcement)));
		this.changed.fire();
		return main;
	}

	/**
	 * The cached document as it was signed. The service signs documents as its schema parsed them,
	 * defaults written out, so this is the document the full check yields once the rest has loaded.
	 */
	private startUpPolicy(): PolicyDocument | undefined {
		return this.startUp.kind === 'restored' ? (this.startUp.document as PolicyDocument) : undefined;
	}

	private startUpState(): SyncState {
		if (this.startUp.kind === 'cannot-verify') {
			return { status: 'cannot-verify', policy: undefined, organizationId: this.startUp.organizationId, message: CANNOT_VERIFY_MESSAGE };
		}
		const document = this.startUpPolicy();
		const receivedAt = this.startUp.kind === 'restored' ? this.startUp.receivedAt : 0;
		return { status: 'signed-out', policy: document ? { document, source: 'cached', receivedAt } : undefined };
	}
}

/** The commands the manifest contributes: VS Code lists them in the palette before we load. */
function contributedCommands(context: vscode.ExtensionContext): string[] {
	const manifest = context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } };
	return (manifest.contributes?.commands ?? []).map((entry) => entry.command);
}
