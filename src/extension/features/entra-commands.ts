import * as vscode from 'vscode';
import { Disposable } from '../base/disposable';
import { SIGN_IN_WITH_MICROSOFT, USE_AZURE_CLI, type EntraSignIn } from './entra-sign-in';

const ASK_NEXT_TIME = 'Ask me at the next request';
const BY_ARGUMENT: Record<string, string | undefined> = { microsoft: SIGN_IN_WITH_MICROSOFT, cli: USE_AZURE_CLI, ask: ASK_NEXT_TIME };

/**
 * The member's way out of an Entra ID choice that stopped working: *Change How You Sign In to Entra
 * ID* (Microsoft's sign-in, the Azure CLI, or ask again), and the chat view's *Sign in with
 * Microsoft* on a failed answer.
 */
export class EntraCommands extends Disposable {
	constructor(entra: Pick<EntraSignIn, 'choose'>) {
		super();
		this._register(vscode.commands.registerCommand('orgProviderPolicy.useMicrosoftSignIn', () => entra.choose('microsoft')));
		this._register(
			// An argument ('microsoft', 'cli' or 'ask') skips the question: for keybindings and automation.
			vscode.commands.registerCommand('orgProviderPolicy.changeEntraSignIn', async (given?: unknown) => {
				const picked =
					BY_ARGUMENT[String(given)] ??
					(await vscode.window.showQuickPick([SIGN_IN_WITH_MICROSOFT, USE_AZURE_CLI, ASK_NEXT_TIME], {
						title: 'How should VS Code get your Entra ID token for the organization’s AI endpoint?',
					}));
				if (!picked) {
					return;
				}
				entra.choose(picked === SIGN_IN_WITH_MICROSOFT ? 'microsoft' : picked === USE_AZURE_CLI ? 'cli' : undefined);
				void vscode.window.showInformationMessage(
					picked === ASK_NEXT_TIME
						? 'You will be asked how to sign in to Entra ID at the next request.'
						: `Entra ID: ${picked} from the next request on.`,
				);
			}),
		);
	}
}
