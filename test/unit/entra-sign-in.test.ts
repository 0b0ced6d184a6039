import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { EntraSignIn, SIGN_IN_WITH_MICROSOFT, USE_AZURE_CLI, type EntraSignInHost } from '../../src/extension/features/entra-sign-in';
import { errorActionsFor } from '../../src/extension/features/chat-error-actions';

/** VS Code's Microsoft authentication provider and message box, as an in-memory double. */
class SignInHostDouble implements EntraSignInHost {
	signedIn = false;
	/** What the member clicks in the explanation (undefined: dismissed). */
	answer: string | undefined;
	/** Whether the Microsoft dialog completes. */
	dialogCompletes = true;
	readonly messages: { message: string; detail: string; items: string[] }[] = [];
	readonly dialogs: (readonly string[])[] = [];

	async getSession(
		_id: 'microsoft',
		scopes: readonly string[],
		options: vscode.AuthenticationGetSessionOptions,
	): Promise<vscode.AuthenticationSession | undefined> {
		if (this.signedIn) {
			return { id: 's', accessToken: 'microsoft-token', account: { id: 'a', label: 'dev@acme.example' }, scopes };
		}
		if (options.silent) {
			return undefined;
		}
		this.dialogs.push(scopes);
		if (!this.dialogCompletes) {
			throw new Error('User did not consent to login.');
		}
		this.signedIn = true;
		return { id: 's', accessToken: 'microsoft-token', account: { id: 'a', label: 'dev@acme.example' }, scopes };
	}

	async ask(message: string, detail: string, ...items: string[]): Promise<string | undefined> {
		this.messages.push({ message, detail, items });
		return this.answer;
	}
}

describe('Entra ID explains itself before any dialog (#13 item 5)', () => {
	const scopes = ['https://cognitiveservices.azure.com/.default'];
	let host: SignInHostDouble;
	let signIn: EntraSignIn;

	beforeEach(() => {
		host = new SignInHostDouble();
		signIn = new EntraSignIn(host, () => 'Acme Corp');
	});

	it('uses an existing Microsoft session without asking anything', async () => {
		host.signedIn = true;
		assert.equal(await signIn.token(scopes), 'microsoft-token');
		assert.deepEqual(host.messages, []);
		assert.deepEqual(host.dialogs, []);
	});

	it('says why first, then opens the Microsoft dialog only when the member chooses it', async () => {
		host.answer = SIGN_IN_WITH_MICROSOFT;
		assert.equal(await signIn.token(scopes), 'microsoft-token');
		assert.deepEqual(host.messages, [
			{
				message: 'Acme Corp uses Entra ID for its AI endpoint',
				detail: 'Sign in with Microsoft, or run `az login` in a terminal and choose Azure CLI. The request waits for your choice.',
				items: [SIGN_IN_WITH_MICROSOFT, USE_AZURE_CLI],
			},
		]);
		assert.equal(host.dialogs.length, 1);
	});

	it('with Azure CLI chosen, hands over to the @azure/identity chain and does not ask again in this window', async () => {
		host.answer = USE_AZURE_CLI;
		assert.equal(await signIn.token(scopes), undefined);
		assert.equal(await signIn.token(scopes), undefined);
		assert.equal(host.messages.length, 1);
		assert.deepEqual(host.dialogs, []);
	});

	it('after Azure CLI, the member can switch to Microsoft’s sign-in or be asked again (#28 item 6)', async () => {
		host.answer = USE_AZURE_CLI;
		assert.equal(await signIn.token(scopes), undefined);
		signIn.choose('microsoft');
		assert.equal(await signIn.token(scopes), 'microsoft-token', 'the chat view’s Sign in with Microsoft opens the dialog');
		assert.equal(host.dialogs.length, 1);
		assert.equal(host.messages.length, 1, 'no second explanation');
		signIn.choose(undefined);
		host.signedIn = false;
		host.answer = USE_AZURE_CLI;
		await signIn.token(scopes);
		assert.equal(host.messages.length, 2, 'asked again at the next request');
	});

	it('offers Sign in with Microsoft and Try again on an Entra ID failure, the key on a key problem, and the details always', () => {
		assert.deepEqual(errorActionsFor('sign-in'), ['signInWithMicrosoft', 'tryAgain', 'copyDetails', 'showLog']);
		assert.deepEqual(errorActionsFor('key-rejected'), ['setApiKey', 'copyDetails', 'showLog']);
		assert.deepEqual(errorActionsFor('unreachable'), ['copyDetails', 'showLog']);
		assert.deepEqual(errorActionsFor(undefined), ['copyDetails', 'showLog']);
	});

	it('a dismissed explanation or a cancelled dialog is one sentence naming what to do, and is asked again next time', async () => {
		await assert.rejects(signIn.token(scopes), {
			name: 'SignInRequiredError',
			message: /^Entra ID sign-in was dismissed: .*choose Sign in with Microsoft, or run `az login`/,
		});
		host.answer = SIGN_IN_WITH_MICROSOFT;
		host.dialogCompletes = false;
		await assert.rejects(signIn.token(scopes), {
			name: 'SignInRequiredError',
			message: /^The Microsoft sign-in did not complete: send the message again to retry, or run `az login`/,
		});
		host.dialogCompletes = true;
		assert.equal(await signIn.token(scopes), 'microsoft-token');
		assert.equal(host.messages.length, 3, 'asked again after each failure');
	});
});
