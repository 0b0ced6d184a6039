import assert from 'node:assert/strict';
import { CONNECT, handleSignInLink, parseSignInLink, type SignInLinkHost } from '../../src/extension/features/sign-in-link';

/** VS Code's settings, modal and commands as an in-memory double. */
class LinkHostDouble implements SignInLinkHost {
	server: string | undefined;
	organization: string | undefined;
	answer: string | undefined = CONNECT;
	readonly questions: { message: string; detail: string }[] = [];
	readonly errors: string[] = [];
	signIns = 0;

	configuredServer() {
		return this.server;
	}
	async confirm(message: string, detail: string) {
		this.questions.push({ message, detail });
		return this.answer;
	}
	async saveServer(serverUrl: string, organization: string | undefined) {
		this.server = serverUrl;
		this.organization = organization;
	}
	async signIn() {
		this.signIns++;
	}
	showError(message: string) {
		this.errors.push(message);
	}
}

describe('the vscode:// sign-in link (#14 item 3)', () => {
	it('asks with the exact address, then sets the server and organization and starts sign-in', async () => {
		const host = new LinkHostDouble();
		assert.equal(await handleSignInLink('/sign-in', 'server=https%3A%2F%2Fpolicy.acme.example%2F&organization=acme', host), 'connected');
		assert.deepEqual(host.questions, [
			{
				message: 'Connect VS Code to the policy service at https://policy.acme.example?',
				detail:
					"Your organization's AI provider settings will come from this address. Continue only if your organization sent you this link.",
			},
		]);
		assert.equal(host.server, 'https://policy.acme.example');
		assert.equal(host.organization, 'acme');
		assert.equal(host.signIns, 1);
	});

	it('changes nothing when the member declines, and says what it would replace', async () => {
		const host = new LinkHostDouble();
		host.server = 'https://policy.corp.example';
		host.answer = undefined;
		assert.equal(await handleSignInLink('/sign-in', 'server=https://elsewhere.example', host), 'declined');
		assert.match(host.questions[0]!.detail, /It replaces https:\/\/policy\.corp\.example\./);
		assert.equal(host.server, 'https://policy.corp.example');
		assert.equal(host.signIns, 0);
	});

	it('refuses a link without a usable server address, naming it, and ignores other paths', async () => {
		for (const query of [
			'',
			'server=policy.acme.example',
			'server=javascript:alert(1)',
			'server=https://user:pw@policy.acme.example',
			'server=https://p.example&organization=Not%20An%20Id',
		]) {
			const host = new LinkHostDouble();
			assert.equal(await handleSignInLink('/sign-in', query, host), 'invalid', query);
			assert.equal(host.errors.length, 1);
			assert.equal(host.questions.length, 0, 'nothing is asked, nothing is set');
		}
		assert.equal(parseSignInLink('/other', 'server=https://p.example'), undefined);
	});
});
