import assert from 'node:assert/strict';
import { describeServer, resolveServer } from '../../src/extension/base/server-source';
import {
	CONNECT,
	handleSignInLink,
	parseSignInLink,
	REPLACE_MANAGED,
	parsePastedAddress,
	type SignInLinkHost,
} from '../../src/extension/features/sign-in-link';

/** VS Code's settings, modal and commands as an in-memory double; `managed` is the IT-managed bootstrap file. */
class LinkHostDouble implements SignInLinkHost {
	server: string | undefined;
	organization: string | undefined;
	overrideManaged = false;
	managed: { serverUrl: string; organization: string | undefined } | undefined;
	answer: string | undefined = CONNECT;
	readonly questions: { message: string; detail: string }[] = [];
	readonly errors: string[] = [];
	signIns = 0;

	configuredServer() {
		return resolveServer({ serverUrl: this.server, organization: this.organization, overrideManaged: this.overrideManaged }, this.managed);
	}
	async confirm(message: string, detail: string) {
		this.questions.push({ message, detail });
		return this.answer;
	}
	async saveServer(serverUrl: string, organization: string | undefined, overrideManaged: boolean) {
		this.server = serverUrl;
		this.organization = organization;
		this.overrideManaged = overrideManaged;
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

	it('on a machine with the IT-managed file, says it replaces that server, and the managed server wins unless the member chooses', async () => {
		const host = new LinkHostDouble();
		host.managed = { serverUrl: 'https://policy.corp.example', organization: 'corp' };
		host.answer = CONNECT;
		assert.equal(
			await handleSignInLink('/sign-in', 'server=https://elsewhere.example', host),
			'declined',
			'Connect is not the button here',
		);
		assert.match(host.questions[0]!.detail, /It replaces https:\/\/policy\.corp\.example, which your IT department set up on this machine/);
		assert.equal(host.configuredServer().serverUrl, 'https://policy.corp.example');

		host.answer = REPLACE_MANAGED;
		assert.equal(await handleSignInLink('/sign-in', 'server=https://elsewhere.example', host), 'connected');
		const chosen = host.configuredServer();
		assert.deepEqual([chosen.serverUrl, chosen.source], ['https://elsewhere.example', 'settings']);
		assert.equal(
			describeServer(
				resolveServer({ serverUrl: host.server, organization: undefined, overrideManaged: host.overrideManaged }, host.managed),
			),
			'https://elsewhere.example (from your settings, replacing the IT-managed https://policy.corp.example by your choice)',
		);
	});

	it('a serverUrl setting alone does not outrank the IT-managed file, and the status says which applies', () => {
		const managed = { serverUrl: 'https://policy.corp.example', organization: 'corp' };
		const edited = resolveServer({ serverUrl: 'https://typed.example', organization: undefined, overrideManaged: false }, managed);
		assert.deepEqual(edited, {
			serverUrl: 'https://policy.corp.example',
			organization: 'corp',
			source: 'managed bootstrap',
			ignoredSetting: 'https://typed.example',
		});
		assert.equal(
			describeServer(edited),
			'https://policy.corp.example (from the IT-managed bootstrap file; your setting https://typed.example is not used)',
		);
		assert.equal(
			resolveServer({ serverUrl: 'https://typed.example', organization: 'x', overrideManaged: false }, undefined).source,
			'settings',
		);
		assert.equal(
			describeServer(resolveServer({ serverUrl: '', organization: undefined, overrideManaged: false }, undefined)),
			'none configured',
		);
	});

	it('refuses a link to a plain-http server beyond this machine (tokens would travel in clear); loopback is fine', async () => {
		const host = new LinkHostDouble();
		assert.equal(await handleSignInLink('/sign-in', 'server=http://policy.acme.example:8080', host), 'invalid');
		assert.match(host.errors[0]!, /plain http on another machine \(http:\/\/policy\.acme\.example:8080\)/);
		assert.equal(host.questions.length, 0);
		for (const local of ['http://localhost:8787', 'http://127.0.0.1:8787', 'http://[::1]:8787']) {
			assert.ok(!('error' in parseSignInLink('/sign-in', `server=${encodeURIComponent(local)}`)!), local);
		}
	});
});

describe('what a member pastes when VS Code knows no policy server (#28 item 2)', () => {
	it('reads an invitation link, the service address with or without https://, and the sign-in link', () => {
		assert.deepEqual(parsePastedAddress('https://policy.acme.example/invite/AbC123'), {
			serverUrl: 'https://policy.acme.example',
			organization: undefined,
			invitation: 'https://policy.acme.example/invite/AbC123',
		});
		assert.deepEqual(parsePastedAddress('  https://acme.example/ai-policy/invite/tok  '), {
			serverUrl: 'https://acme.example/ai-policy',
			organization: undefined,
			invitation: 'https://acme.example/ai-policy/invite/tok',
		});
		assert.deepEqual(parsePastedAddress('policy.acme.example'), {
			serverUrl: 'https://policy.acme.example',
			organization: undefined,
			invitation: undefined,
		});
		assert.deepEqual(parsePastedAddress('https://policy.acme.example/console/settings'), {
			serverUrl: 'https://policy.acme.example',
			organization: undefined,
			invitation: undefined,
		});
		assert.deepEqual(
			parsePastedAddress(
				'vscode://org-provider-policy.org-provider-policy/sign-in?server=https%3A%2F%2Fpolicy.acme.example&organization=acme',
			),
			{
				serverUrl: 'https://policy.acme.example',
				organization: 'acme',
				invitation: undefined,
			},
		);
		assert.deepEqual(parsePastedAddress('http://127.0.0.1:8787/invite/x'), {
			serverUrl: 'http://127.0.0.1:8787',
			organization: undefined,
			invitation: 'http://127.0.0.1:8787/invite/x',
		});
	});

	it('refuses what cannot be a policy service, saying why', () => {
		assert.match((parsePastedAddress('') as { error: string }).error, /Paste the invitation link/);
		assert.match(
			(parsePastedAddress('http://policy.acme.example') as { error: string }).error,
			/^The address uses plain http on another machine/,
		);
		assert.match((parsePastedAddress('https://user:pw@policy.acme.example') as { error: string }).error, /not an http\(s\) URL/);
		assert.match(
			(parsePastedAddress('vscode://org-provider-policy.org-provider-policy/other') as { error: string }).error,
			/not a sign-in link/,
		);
		assert.match((parsePastedAddress('ftp://files.acme.example') as { error: string }).error, /not an http\(s\) URL/);
	});
});
