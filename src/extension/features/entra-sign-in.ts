import type * as vscode from 'vscode';
import { SignInRequiredError } from '../../client/credentials';

export const SIGN_IN_WITH_MICROSOFT = 'Sign in with Microsoft';
export const USE_AZURE_CLI = 'Use Azure CLI (az login)';

/** What this needs of VS Code: sessions of the Microsoft provider, and a question the member must answer. */
export interface EntraSignInHost {
	getSession(
		providerId: 'microsoft',
		scopes: readonly string[],
		options: vscode.AuthenticationGetSessionOptions,
	): Thenable<vscode.AuthenticationSession | undefined>;
	/**
	 * A modal dialog: a request waits for the answer, and a toast would slide into the notification
	 * center after a few seconds, leaving the request waiting on a question nobody sees.
	 */
	ask(question: string, detail: string, ...choices: string[]): Thenable<string | undefined>;
}

/**
 * VS Code's Microsoft sign-in for Entra ID, explained before any dialog opens: an existing session
 * is used silently; otherwise the member is told why (their organization's endpoint wants Entra ID)
 * and chooses between signing in with Microsoft and the Azure CLI (`az login`, tried by the
 * @azure/identity chain). Undefined means "use the chain". The choice holds for this window, and
 * can be changed: from a failed request's *Sign in with Microsoft*, or with *Change How You Sign In
 * to Entra ID* (ask again next time).
 */
export class EntraSignIn {
	private choice: 'microsoft' | 'cli' | undefined;

	/** The member's choice, made outside a request: Microsoft's sign-in, the Azure CLI, or ask again next time. */
	choose(choice: 'microsoft' | 'cli' | undefined): void {
		this.choice = choice;
	}

	constructor(
		private readonly host: EntraSignInHost,
		private readonly organization: () => string | undefined,
	) {}

	async token(scopes: string[]): Promise<string | undefined> {
		const existing = await Promise.resolve(this.host.getSession('microsoft', scopes, { silent: true })).catch(() => undefined);
		if (existing) {
			return existing.accessToken;
		}
		if (this.choice === 'cli') {
			return undefined;
		}
		if (this.choice === undefined) {
			const who = this.organization() ?? 'Your organization';
			const picked = await this.host.ask(
				`${who} uses Entra ID for its AI endpoint`,
				'Sign in with Microsoft, or run `az login` in a terminal and choose Azure CLI. The request waits for your choice.',
				SIGN_IN_WITH_MICROSOFT,
				USE_AZURE_CLI,
			);
			if (picked === USE_AZURE_CLI) {
				this.choice = 'cli';
				return undefined;
			}
			if (picked !== SIGN_IN_WITH_MICROSOFT) {
				throw new SignInRequiredError(
					'Entra ID sign-in was dismissed: send the message again and choose Sign in with Microsoft, or run `az login` and choose Azure CLI.',
				);
			}
			this.choice = 'microsoft';
		}
		try {
			const session = await this.host.getSession('microsoft', scopes, { createIfNone: true });
			return session?.accessToken;
		} catch {
			// Cancelled or refused: ask again next time rather than insisting on the dialog.
			this.choice = undefined;
			throw new SignInRequiredError(
				'The Microsoft sign-in did not complete: send the message again to retry, or run `az login` in a terminal and choose Azure CLI.',
			);
		}
	}
}
