import * as vscode from 'vscode';
import { withoutQuery } from '../../policy';
import { describeServer, type ServerSettings } from '../base/server-source';
import type { EffectiveStateEvents } from '../provider/effective-state';
import { syncSessionFor } from '../sync/sync-session';
import type { SessionManager } from '../auth/session-manager';
import { Disposable } from '../base/disposable';
import type { ProviderService } from '../provider/provider-service';
import type { PolicySync, SyncSession, SyncState } from '../sync/policy-sync';
import type { ServiceConnection } from '../base/service-http';

const EFFECTIVE_POLICY_URI = vscode.Uri.parse('org-provider-policy:/Effective%20Policy.md');

export function describeState(state: SyncState): string {
	const revision = state.policy ? `revision ${state.policy.document.revision}` : 'no policy';
	switch (state.status) {
		case 'signed-out':
			return 'signed out';
		case 'syncing':
			return 'syncing';
		case 'in-sync':
			return `in sync (${revision})`;
		case 'stale':
			return `stale (offline since ${new Date(state.since).toLocaleTimeString()}: ${state.reason}; ${revision})`;
		case 'error':
			return `error (${state.message})`;
		case 'cannot-verify':
			return `locked: ${state.message}`;
	}
}

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

	constructor(
		private readonly sessions: SessionManager,
		private readonly sync: PolicySync,
		private readonly provider: ProviderService,
		private readonly connection: () => ServiceConnection | undefined,
		private readonly log: vscode.LogOutputChannel,
		private readonly server: () => ServerSettings,
		effective: Pick<EffectiveStateEvents, 'onDidChange'>,
	) {
		super();
		this.statusBar.name = 'Org Provider Policy';
		this.statusBar.show();
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => {
				if (event.affectsConfiguration('orgProviderPolicy.serverUrl') && this.connection() && !this.sessions.session) {
					// Saving the address is the moment to offer the next step.
					const server = this.connection()!.serverUrl;
					void vscode.window
						.showInformationMessage(`Policy server set to ${server}.`, 'Sign In')
						.then((choice) => choice && vscode.commands.executeCommand('orgProviderPolicy.signIn'));
				}
			}),
		);
		this._register(vscode.workspace.registerTextDocumentContentProvider('org-provider-policy', this));
		this._register(effective.onDidChange(({ sync: state }) => this.render(state)));
		this._register(
			sync.onDidRejectPolicy((error) => {
				this.log.warn(`refused a policy: ${error.message}`);
				void vscode.window.showWarningMessage(
					`Org Provider Policy refused a policy from the service (${error.reason}): the last good revision stays in force.`,
				);
			}),
		);
		this._register(
			sessions.onDidChange(({ session, reason }) => {
				if (session) {
					this.startSync();
				} else {
					this.sync.signedOut();
					if (reason === 'revoked') {
						void vscode.window.showWarningMessage(
							'Your organization session ended (signed out by the service). The provider your organization set stays locked; sign in again to resume sync.',
						);
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
		const effective = this.provider.current;
		const organization = state.policy?.document.organization.name ?? this.sessions.session?.organization.name;
		const icon =
			state.status === 'in-sync'
				? '$(pass)'
				: state.status === 'stale'
					? '$(warning)'
					: state.status === 'error'
						? '$(error)'
						: state.status === 'syncing'
							? '$(sync~spin)'
							: '$(account)';
		const lock = effective.locked ? '$(lock) ' : '';
		this.statusBar.text = `${icon} ${lock}${organization ?? 'Org Provider Policy'}`;
		// Signed out, the item is the way in; signed in, it shows what is in force.
		const signedIn = this.sessions.session !== undefined;
		this.statusBar.command = signedIn ? 'orgProviderPolicy.showEffectivePolicy' : 'orgProviderPolicy.signIn';
		const tooltip = new vscode.MarkdownString(undefined, true);
		tooltip.appendMarkdown(`**Org Provider Policy**\n\n`);
		tooltip.appendMarkdown(
			`Organization: ${organization ?? '—'}\n\nProvider: ${effective.label}${effective.locked ? ' (locked)' : ''}\n\nSync: ${describeState(state)}\n\nPolicy server: ${describeServer(this.server())}`,
		);
		if (!signedIn) {
			tooltip.appendMarkdown('\n\nClick to sign in.');
		}
		this.statusBar.tooltip = tooltip;
		this.statusBar.accessibilityInformation = {
			label: `Org Provider Policy: ${organization ?? 'no organization'}, ${effective.label}, ${describeState(state)}`,
		};
		this.documentChanged.fire(EFFECTIVE_POLICY_URI);
	}

	provideTextDocumentContent(): string {
		const state = this.sync.current;
		const effective = this.provider.current;
		const policy = state.policy;
		const lines = ['# Effective provider policy', '', `- Policy server: ${describeServer(this.server())}`, ''];
		if (!policy) {
			lines.push('No organization policy is applied: you choose your own provider.', '');
		} else {
			const document = policy.document;
			lines.push(
				`- Organization: ${document.organization.name} (${document.organization.id})`,
				`- Revision: ${document.revision}, saved by ${document.updatedBy} at ${document.updatedAt}`,
				`- Source: ${policy.source === 'live' ? 'live from the policy service' : 'cached copy'}, received ${new Date(policy.receivedAt).toISOString()}`,
				`- Sync: ${describeState(state)}`,
				`- Enabled: ${document.enabled ? 'yes — the provider is locked' : 'no — members choose freely'}`,
				`- Group overlays: ${document.appliedOverlays?.length ? `${document.appliedOverlays.join(', ')} (applied in this order over the organization's policy)` : 'none (the organization’s policy as it is)'}`,
				...(document.organization.adminContact ? [`- Admin contact: ${document.organization.adminContact}`] : []),
				'',
			);
		}
		const provider = effective.provider;
		lines.push(`## Provider: ${effective.label}${effective.locked ? ' (read-only)' : ''}`, '');
		if (provider) {
			// Origin and path only, as everywhere the member may copy from: a gateway may carry a key in the query.
			lines.push(`- Base URL: ${withoutQuery(provider.baseUrl)}`);
			const headers = Object.keys(provider.headers);
			lines.push(`- Custom headers: ${headers.length ? headers.map((name) => `${name}: ••••••`).join(', ') : 'none'}`);
			lines.push(
				provider.organizationToken
					? `- Credential: organization token for ${provider.organizationToken.audience}, renewed automatically (kept in memory only; no key of yours)`
					: `- Member API key: ${provider.apiKeyRequired ? 'required (kept in secret storage)' : 'not used'}`,
			);
			if (provider.azure) {
				lines.push(
					`- Azure API version: ${provider.azure.apiVersion ?? 'v1 API'}`,
					`- Azure identity authentication: ${provider.azure.identityAuth ? `on (scope ${provider.azure.scope}${provider.azure.tenantId ? `, tenant ${provider.azure.tenantId}` : ''})` : 'off'}`,
				);
			}
			if (provider.models) {
				lines.push(
					`- Allowed models: ${provider.models.allowed.join(', ')}${provider.models.default ? ` (default ${provider.models.default})` : ''}`,
				);
			}
		}
		return `${lines.join('\n')}\n`;
	}
}
