import * as vscode from 'vscode';
import { describeServer, type ServerSettings } from '../base/server-source';
import type { EffectiveStateEvents } from '../provider/effective-state';
import { syncSessionFor } from '../sync/sync-session';
import { PolicyTransport } from '../sync/transport';
import { effectivePolicyText, type PlacementAnswer } from './effective-policy-text';
import { statusItemView } from './status-item';
import type { VsCodeChatVisibility } from '../lock/vscode-chat';
import type { SessionManager } from '../auth/session-manager';
import { Disposable, type Event } from '../base/disposable';
import type { ProviderService } from '../provider/provider-service';
import type { PolicySync, SyncSession, SyncState } from '../sync/policy-sync';
import type { ServiceConnection } from '../base/service-http';

/** The policy service this machine follows, and when that may have changed (a setting, IT's file). */
export interface PolicyServer {
	read(): ServerSettings;
	readonly onDidChange: Event<void>;
}

/** This extension in the Marketplace (`publisher.name` of package.json): where its update is. */
const EXTENSION_ID = 'org-provider-policy.org-provider-policy';

const EFFECTIVE_POLICY_URI = vscode.Uri.parse('org-provider-policy:/Effective%20Policy.md');
/** How long Show Effective Policy waits for the service to say which groups the member is in. */
const PLACEMENT_TIMEOUT_MS = 3000;

/**
 * Connects the member's session to policy sync, shows the state in the status bar, tells the
 * member once about a refused policy, and offers Refresh Policy and Show Effective Policy.
 */
export class SyncFeature extends Disposable implements vscode.TextDocumentContentProvider {
	private readonly statusBar = this._register(
		vscode.window.createStatusBarItem('orgProviderPolicy.status', vscode.StatusBarAlignment.Right, 100),
	);
	private readonly documentChanged = this._register(new vscode.EventEmitter<vscode.Uri>());
	readonly onDidChange = this.documentChanged.event;
	private needsApiKey = false;
	/** Whether the stored sign-in has been read since start-up (until then nobody is known to be signed out). */
	private sessionRead = false;

	constructor(
		private readonly sessions: SessionManager,
		private readonly sync: PolicySync,
		private readonly provider: ProviderService,
		private readonly connection: () => ServiceConnection | undefined,
		private readonly log: vscode.LogOutputChannel,
		private readonly server: PolicyServer,
		effective: Pick<EffectiveStateEvents, 'onDidChange'>,
		private readonly vscodeChat: () => VsCodeChatVisibility | undefined,
	) {
		super();
		this.statusBar.name = 'Org Provider Policy';
		this.statusBar.show();
		let announcedServer = connection()?.serverUrl;
		this._register(
			server.onDidChange(() => {
				const now = this.connection()?.serverUrl;
				if (now === announcedServer) {
					return;
				}
				announcedServer = now;
				this.render(this.sync.current);
				// Saving the address, or IT's file arriving, is the moment to offer the next step; a sign-in
				// set aside by the change has its own notice.
				if (now && !this.sessions.session && !this.sessions.signedInElsewhere) {
					const byIt = this.server.read().source === 'managed bootstrap';
					offerSignIn(byIt ? `Your organization's IT set the policy server: ${now}.` : `Policy server set to ${now}.`);
				}
			}),
		);
		this._register(vscode.workspace.registerTextDocumentContentProvider('org-provider-policy', this));
		this._register(
			effective.onDidChange(({ sync: state }) => {
				this.render(state);
				void this.checkApiKey();
			}),
		);
		this._register(provider.onDidChangeCredentials(() => void this.checkApiKey()));
		this._register(
			sync.onDidRejectPolicy((error) => {
				this.log.warn(`refused a policy: ${error.message}`);
				if (error.reason === 'newer-schema') {
					// The organization's own policy, which this version cannot read: only an update helps, so offer it.
					void vscode.window
						.showWarningMessage(
							`Your organization's policy needs a newer Org Provider Policy extension (${error.message}). Update the extension to apply it; until then none of it is applied.`,
							'Update Extension',
						)
						.then((choice) => choice && vscode.commands.executeCommand('extension.open', EXTENSION_ID));
					return;
				}
				void vscode.window.showWarningMessage(
					`Org Provider Policy refused a policy from the service (${error.reason}): the last good revision stays in force.`,
				);
			}),
		);
		this._register(
			sessions.onDidChange(({ session, reason, detail }) => {
				if (session) {
					this.startSync();
				} else {
					this.sync.signedOut();
					if (reason === 'revoked') {
						void vscode.window.showWarningMessage(revokedMessage(this.sync.current.policy?.document.organization.name, detail));
					} else if (reason === 'other-service') {
						this.offerSignInAtNewService();
					}
				}
			}),
		);
		this._register(vscode.commands.registerCommand('orgProviderPolicy.refreshPolicy', () => this.refresh()));
		this._register(
			vscode.commands.registerCommand('orgProviderPolicy.showEffectivePolicy', async () => {
				const document = await vscode.workspace.openTextDocument(EFFECTIVE_POLICY_URI);
				await vscode.window.showTextDocument(document, { preview: true });
			}),
		);
		this.render(sync.current);
		void this.checkApiKey();
	}

	/**
	 * The service this machine follows changed (IT's file or a setting) while signed in to the old
	 * one: its policy stays in force, but no update arrives until the member signs in to the new one.
	 */
	private offerSignInAtNewService(): void {
		const now = this.connection()?.serverUrl;
		const before = this.sessions.signedInElsewhere;
		if (!now || !before) {
			return;
		}
		const organization = this.sync.current.policy?.document.organization.name ?? 'Your organization';
		this.log.info(`the policy service is now ${now}; the sign-in to ${before} is set aside`);
		offerSignIn(
			`${organization}'s policy service is now ${now} (was ${before}). Sign in there to keep receiving its policy; until then the last policy stays in force.`,
		);
	}

	/** Start-up read the stored sign-in (there may be none): from now on "signed out" is the truth. */
	sessionWasRead(): void {
		this.sessionRead = true;
		this.render(this.sync.current);
	}

	startSync(): void {
		const session = this.syncSession();
		if (session) {
			this.sync.start(session);
		}
	}

	private syncSession(): SyncSession | undefined {
		return syncSessionFor(this.sessions, this.connection());
	}

	private async refresh(): Promise<void> {
		const session = this.syncSession();
		if (!session) {
			void vscode.window.showInformationMessage('Sign in to your organization first (Org Provider Policy: Sign In).');
			return;
		}
		try {
			await this.sync.refreshNow(session);
		} catch (error) {
			void vscode.window.showWarningMessage(`Could not refresh the policy: ${(error as Error).message}`);
		}
	}

	private render(state: SyncState): void {
		const view = statusItemView({
			state,
			effective: this.provider.current,
			organization: state.policy?.document.organization.name ?? this.sessions.session?.organization.name,
			signedIn: this.sessions.session !== undefined ? true : this.sessionRead ? false : undefined,
			server: describeServer(this.server.read()),
			needsApiKey: this.needsApiKey,
		});
		this.statusBar.text = view.text;
		this.statusBar.command = view.command;
		this.statusBar.tooltip = tooltipMarkdown(view.tooltip);
		this.statusBar.accessibilityInformation = { label: view.accessibilityLabel };
		this.statusBar.backgroundColor = view.attention ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
		this.documentChanged.fire(EFFECTIVE_POLICY_URI);
	}

	/** Whether the provider in force waits for a key, asked again whenever the provider or a key changes. */
	private async checkApiKey(): Promise<void> {
		const needed = await this.provider.needsApiKey().catch(() => false);
		if (needed !== this.needsApiKey) {
			this.needsApiKey = needed;
			this.render(this.sync.current);
		}
	}

	/** Show Effective Policy: what is in force, and — asked of the service when it answers — the member's groups and any rollout. */
	async provideTextDocumentContent(): Promise<string> {
		return effectivePolicyText({
			state: this.sync.current,
			effective: this.provider.current,
			server: describeServer(this.server.read()),
			placement: await this.placement(),
			vscodeChat: this.vscodeChat(),
		});
	}

	private async placement(): Promise<PlacementAnswer> {
		const session = this.syncSession();
		if (!session || !this.sync.current.policy) {
			return undefined;
		}
		try {
			const placement = await new PolicyTransport(session).placement(AbortSignal.timeout(PLACEMENT_TIMEOUT_MS));
			return placement ?? undefined;
		} catch (error) {
			this.log.info(`could not ask the service for the member's groups: ${(error as Error).message}`);
			return 'unreachable';
		}
	}
}

/**
 * What a member reads when the service ended their session: what happened, in the service's words
 * when it said (removed, deactivated, or the sign-in ended), and that the provider stays locked.
 */
export function revokedMessage(organization: string | undefined, detail: string | undefined): string {
	const who = organization ?? 'Your organization';
	const what = detail ? `${who} signed you out: ${detail}.` : `${who} signed you out (the service ended this session).`;
	return `${what} The provider your organization set stays locked; sign in again to resume sync, or ask your admin if you should still have access.`;
}

/** The status bar's tooltip: its title in bold, then each line as text (VS Code escapes any Markdown in it). */
function tooltipMarkdown([title, ...lines]: readonly string[]): vscode.MarkdownString {
	const markdown = new vscode.MarkdownString().appendMarkdown(`**${title ?? ''}**`);
	for (const line of lines) {
		markdown.appendMarkdown('\n\n').appendText(line);
	}
	return markdown;
}

/** A notice whose one action is signing in. */
function offerSignIn(message: string): void {
	void vscode.window
		.showInformationMessage(message, 'Sign In')
		.then((choice) => choice && vscode.commands.executeCommand('orgProviderPolicy.signIn'));
}
