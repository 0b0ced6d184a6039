import * as vscode from 'vscode';
import type { DeviceAuthorization } from '../../policy';
import { DeviceFlowError } from '../auth/device-flow';
import { NoPolicyServerError, type SessionManager, type StoredSession } from '../auth/session-manager';
import { Disposable, Emitter } from '../base/disposable';
import { readServerSettings } from '../settings';
import { handleSignInLink, parsePastedAddress, SIGN_IN_LINK_PATH, type SignInLinkHost } from './sign-in-link';

const OPEN_SETTINGS = 'Open Settings';
const CONNECT_TO_ORGANIZATION = 'Paste Invitation or Address';
const SERVER_URL_SETTING = 'orgProviderPolicy.serverUrl';

export const AUTH_PROVIDER_ID = 'org-provider-policy';

function toSession(session: StoredSession): vscode.AuthenticationSession {
	return {
		id: session.account.id,
		accessToken: session.accessToken,
		account: { id: session.account.id, label: `${session.account.email} (${session.organization.name})` },
		scopes: [],
	};
}

/**
 * The organization account in VS Code's Accounts menu, signed in with the device flow:
 * a notification shows the code, *Copy & Open* opens the verification page.
 */
export class AuthFeature extends Disposable implements vscode.AuthenticationProvider {
	private readonly sessionsChanged = this._register(new Emitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>());
	readonly onDidChangeSessions = this.sessionsChanged.event;
	private readonly codeShown = this._register(new Emitter<{ userCode: string; verificationUri: string }>());
	/** Public: lets a helper (or a test) show the code somewhere else too. */
	readonly onDidShowDeviceCode = this.codeShown.event;

	constructor(
		private readonly sessions: SessionManager,
		private readonly log: vscode.LogOutputChannel,
	) {
		super();
		this._register(
			vscode.authentication.registerAuthenticationProvider(AUTH_PROVIDER_ID, 'Org Provider Policy', this, {
				supportsMultipleAccounts: false,
			}),
		);
		let previous = sessions.session;
		this._register(
			sessions.onDidChange(({ session }) => {
				const added = session && !previous ? [toSession(session)] : [];
				const removed = previous && !session ? [toSession(previous)] : [];
				const changed = session && previous ? [toSession(session)] : [];
				previous = session;
				this.sessionsChanged.fire({ added, removed, changed });
			}),
		);
		this._register(vscode.commands.registerCommand('orgProviderPolicy.signIn', () => this.signIn()));
		// The invitation page's "Open in VS Code": vscode://org-provider-policy.org-provider-policy/sign-in?server=…
		this._register(
			vscode.window.registerUriHandler({
				handleUri: (uri) =>
					void handleSignInLink(uri.path, uri.query, this.linkHost()).catch((error: unknown) => {
						// Nothing was changed; say so rather than leave a clicked link without an answer.
						void vscode.window.showErrorMessage(
							`The sign-in link was not opened, and nothing was changed: ${error instanceof Error ? error.message : String(error)}`,
						);
					}),
			}),
		);
		this._register(vscode.commands.registerCommand('orgProviderPolicy.signOut', () => this.signOut()));
		this._register(vscode.commands.registerCommand('orgProviderPolicy.connect', (asked?: unknown) => this.connect(asked)));
		this._register(vscode.commands.registerCommand('orgProviderPolicy.changePassword', () => this.changePassword()));
	}

	/**
	 * Members have no console: their password is changed on the service's own page, opened in the
	 * browser with their address filled in. Whether VS Code stays signed in is chosen there.
	 */
	private async changePassword(): Promise<boolean> {
		const session = this.sessions.session;
		if (!session) {
			const choice = await vscode.window.showInformationMessage(
				'Sign in to your organization first: the password to change is the one you sign in to VS Code with.',
				'Sign In',
			);
			if (choice) {
				await this.signIn();
			}
			return false;
		}
		return vscode.env.openExternal(vscode.Uri.parse(passwordPageUrl(session)));
	}

	/** What the sign-in link (and a pasted address) needs of VS Code. */
	private linkHost(): SignInLinkHost {
		return {
			configuredServer: () => readServerSettings(),
			confirm: (message, detail, button) => vscode.window.showInformationMessage(message, { modal: true, detail }, button),
			saveServer: async (serverUrl, organization, overrideManaged) => {
				const settings = vscode.workspace.getConfiguration('orgProviderPolicy');
				await settings.update('serverUrl', serverUrl, vscode.ConfigurationTarget.Global);
				await settings.update('organization', organization ?? '', vscode.ConfigurationTarget.Global);
				// Only a confirmed replacement of the IT-managed server outranks it from now on.
				await settings.update('overrideManagedServer', overrideManaged || undefined, vscode.ConfigurationTarget.Global);
			},
			signIn: () => this.signIn(),
			showError: (message) => void vscode.window.showErrorMessage(message),
		};
	}

	/**
	 * A member with no policy server: they paste the invitation link or the address their admin gave
	 * them (or the tests pass it); an invitation opens in the browser to be accepted, then VS Code
	 * asks to connect to the exact address and signs in.
	 */
	private async connect(asked: unknown): Promise<'connected' | 'declined' | 'invalid' | 'ignored'> {
		const text =
			typeof asked === 'string'
				? asked
				: await vscode.window.showInputBox({
						title: 'Connect to your organization',
						prompt: 'Paste the invitation link your admin sent you, or your organization’s policy server address',
						placeHolder: 'https://policy.example.com/invite/… or policy.example.com',
						ignoreFocusOut: true,
						validateInput: (value) => {
							const read = parsePastedAddress(value);
							return value.trim() && 'error' in read ? read.error : undefined;
						},
					});
		if (text === undefined) {
			return 'declined';
		}
		const read = parsePastedAddress(text);
		if ('error' in read) {
			void vscode.window.showErrorMessage(read.error);
			return 'invalid';
		}
		if (read.invitation) {
			// The invitation is accepted in the browser (a password or single sign-on); sign-in follows here.
			await vscode.env.openExternal(vscode.Uri.parse(read.invitation));
		}
		const query = new URLSearchParams({ server: read.serverUrl, ...(read.organization ? { organization: read.organization } : {}) });
		return handleSignInLink(SIGN_IN_LINK_PATH, query.toString(), this.linkHost());
	}

	async getSessions(): Promise<vscode.AuthenticationSession[]> {
		const session = this.sessions.session;
		return session ? [toSession(session)] : [];
	}

	async createSession(): Promise<vscode.AuthenticationSession> {
		const session = await this.signIn();
		if (!session) {
			throw new Error('Sign-in did not complete');
		}
		return toSession(session);
	}

	async removeSession(): Promise<void> {
		await this.sessions.signOut('user');
	}

	async signIn(): Promise<StoredSession | undefined> {
		try {
			const session = await vscode.window.withProgress(
				{ location: vscode.ProgressLocation.Notification, title: 'Org Provider Policy: signing in', cancellable: true },
				async (progress, token) => {
					const controller = new AbortController();
					token.onCancellationRequested(() => controller.abort());
					return this.sessions.signIn({ showCode: (authorization) => this.showCode(authorization, progress) }, controller.signal);
				},
			);
			this.log.info(`signed in to ${session.organization.name} as ${session.account.email}`);
			void vscode.window.showInformationMessage(`Signed in to ${session.organization.name} as ${session.account.email}.`);
			return session;
		} catch (error) {
			if (error instanceof DeviceFlowError && error.reason === 'cancelled') {
				return undefined;
			}
			// No server in use because the one set is malformed: that, naming the setting or file, is the news.
			const problem = error instanceof NoPolicyServerError ? readServerSettings().problem : undefined;
			const message = problem ?? (error instanceof Error ? error.message : String(error));
			this.log.warn(`sign-in failed: ${message}`);
			if (error instanceof NoPolicyServerError) {
				void vscode.window
					.showErrorMessage(message, CONNECT_TO_ORGANIZATION, OPEN_SETTINGS)
					.then((choice) =>
						choice === CONNECT_TO_ORGANIZATION
							? vscode.commands.executeCommand('orgProviderPolicy.connect')
							: choice && openServerUrlSetting(),
					);
			} else {
				void vscode.window.showErrorMessage(`Sign-in failed: ${message}`);
			}
			return undefined;
		}
	}

	private showCode(authorization: DeviceAuthorization, progress: vscode.Progress<{ message?: string }>): void {
		const target = authorization.verification_uri_complete ?? authorization.verification_uri;
		progress.report({ message: `enter code ${authorization.user_code} at ${authorization.verification_uri}` });
		this.codeShown.fire({ userCode: authorization.user_code, verificationUri: target });
		void vscode.window
			.showInformationMessage(
				`Your sign-in code is ${authorization.user_code}. Approve it in the browser to sign in to your organization.`,
				'Copy & Open',
			)
			.then(async (choice) => {
				if (choice === 'Copy & Open') {
					await vscode.env.clipboard.writeText(authorization.user_code);
					await vscode.env.openExternal(vscode.Uri.parse(target));
				}
			});
	}

	async signOut(): Promise<void> {
		await this.sessions.signOut('user');
		void vscode.window.showInformationMessage(
			'Signed out of Org Provider Policy. A provider your organization locked stays locked until you sign in again.',
		);
	}
}

/** The service's page where a member changes their password, their address filled in. */
export function passwordPageUrl(session: Pick<StoredSession, 'serverUrl' | 'account'>): string {
	const page = new URL('account/password', session.serverUrl.endsWith('/') ? session.serverUrl : `${session.serverUrl}/`);
	page.searchParams.set('email', session.account.email);
	return page.toString();
}

/**
 * The server address is a machine setting: in a remote window (SSH, a container, Codespaces,
 * code-server) VS Code reads it from the remote's settings and its User tab does not list it, so
 * the remote's settings are opened there.
 */
export function openServerUrlSetting(): Thenable<unknown> {
	return vscode.env.remoteName
		? vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query: SERVER_URL_SETTING })
		: vscode.commands.executeCommand('workbench.action.openSettings', SERVER_URL_SETTING);
}
