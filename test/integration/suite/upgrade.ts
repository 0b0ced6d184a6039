import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OrgProviderPolicyApi } from '../../../src/extension/api';
import type { MemberView } from '../../../src/server/http/views';
import { approveDeviceCode } from './device-approval';
import { GATEWAY_KEY } from './upgrade-values';

const env = (name: string): string => {
	const value = process.env[name];
	if (!value) {
		throw new Error(`${name} is not set: run this suite through test/integration/launch.ts --upgrade`);
	}
	return value;
};

const EXTENSION_ID = 'org-provider-policy.org-provider-policy';
const MEMBER_KEY = 'sk-member-key-stored-by-0.2.0';
const AUDIENCE = 'https://ai.acme.example';

interface RecordedRequest {
	path: string;
	query: Record<string, string[]>;
	headers: Record<string, string | undefined>;
}

type ListedMember = Pick<MemberView, 'email' | 'sync' | 'policySchema' | 'appliedRevision' | 'signIns'>;

/** What the first start leaves for the second (through the launcher's control server). */
interface Remembered {
	/** The revision 0.2.0 applied. */
	applied: number;
	/** The revision saved after it, which 0.2.0 cannot take (it needs policy schema 3). */
	needsUpdate: number;
}

/**
 * A member's update from release 0.2.0 to this release in a real VS Code (launch.ts --upgrade): the
 * launcher runs this suite twice, in VS Code with 0.2.0's package installed ("before") and again after
 * installing this release's package over it ("after"), on the same profile.
 */
export function upgrade(phase: 'before' | 'after'): void {
	const control = env('ORG_POLICY_TEST_CONTROL');
	const service = env('ORG_POLICY_TEST_SERVICE');
	const endpoint = env('ORG_POLICY_TEST_ENDPOINT');
	const member = { email: env('ORG_POLICY_TEST_MEMBER_EMAIL'), password: env('ORG_POLICY_TEST_MEMBER_PASSWORD') };
	let api: OrgProviderPolicyApi;

	const admin = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
		const response = await fetch(`${service}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${env('ORG_POLICY_TEST_ADMIN_TOKEN')}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
				...headers,
			},
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : undefined };
	};
	const save = async (provider: Record<string, unknown>): Promise<number> => {
		const current = await admin('GET', '/api/v1/admin/policy');
		const saved = await admin(
			'PUT',
			'/api/v1/admin/policy',
			{ enabled: true, adminContact: 'ai-platform@acme.example', provider: { id: 'openai-compatible', ...provider } },
			{ 'if-match': `"${current.body.policy.revision}"` },
		);
		assert.equal(saved.status, 200, JSON.stringify(saved.body));
		return saved.body.policy.revision as number;
	};
	const theMember = async () => {
		const listed = await admin('GET', '/api/v1/admin/members');
		return (listed.body.members as ListedMember[]).find((one) => one.email === member.email);
	};
	const lastChat = async () =>
		((await (await fetch(`${control}/endpoint/requests`)).json()) as RecordedRequest[])
			.filter((request) => request.path.endsWith('/chat/completions'))
			.pop();
	const chat = async (text: string) => vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', text);
	const until = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000) =>
		(async () => {
			const deadline = Date.now() + timeoutMs;
			while (!(await predicate())) {
				if (Date.now() > deadline) {
					throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; sync state: ${JSON.stringify(api.syncState())}`);
				}
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		})();
	const activate = async (): Promise<vscode.Extension<OrgProviderPolicyApi>> => {
		const extension = vscode.extensions.getExtension<OrgProviderPolicyApi>(EXTENSION_ID);
		assert.ok(extension, 'the package is installed');
		api = await extension.activate();
		return extension;
	};
	const version = (extension: vscode.Extension<unknown>) => String((extension.packageJSON as { version: string }).version);

	if (phase === 'before') {
		describe('updating from 0.2.0: VS Code with 0.2.0 installed', () => {
			it('runs the package members installed: 0.2.0', async () => {
				assert.equal(version(await activate()), '0.2.0');
			});

			it("signs in, applies the admin's Azure policy and sends with the member's key from SecretStorage", async () => {
				const shown = new Promise<{ userCode: string }>((resolve) => api.onDidShowDeviceCode(resolve));
				const signIn = vscode.commands.executeCommand('orgProviderPolicy.signIn');
				await approveDeviceCode(service, (await shown).userCode, member);
				await signIn;
				const applied = await save({
					baseUrl: `${endpoint}/openai`,
					headers: { 'X-Tenant': 'acme', 'X-Gateway-Key': GATEWAY_KEY },
					apiKeyRequired: true,
					azure: { apiVersion: '2024-06-01' },
					models: { allowed: ['gpt-4o'], default: 'gpt-4o' },
				});
				await fetch(`${control}/remember`, { method: 'POST', body: JSON.stringify({ applied }) });
				await until(`revision ${applied}`, () => api.syncState().status === 'in-sync' && api.policy()?.revision === applied);
				assert.equal(api.effectiveSettings().locked, true);
				await vscode.commands.executeCommand('orgProviderPolicy.setApiKey', MEMBER_KEY);
				assert.equal(await chat('Hello from 0.2.0'), 'Hello from the endpoint ✓');
				const sent = await lastChat();
				assert.equal(sent?.headers['api-key'], MEMBER_KEY);
			});

			it("cannot take a revision that needs a newer extension: keeps the one it has, and the console says 'extension too old'", async () => {
				const { applied } = (await (await fetch(`${control}/remembered`)).json()) as Remembered;
				// Organization tokens need policy schema 3, which 0.2.0 does not know.
				const needsUpdate = await save({
					baseUrl: `${endpoint}/openai`,
					headers: { 'X-Tenant': 'acme', 'X-Gateway-Key': GATEWAY_KEY },
					apiKeyRequired: false,
					azure: { apiVersion: '2024-06-01' },
					organizationToken: { audience: AUDIENCE },
					models: { allowed: ['gpt-4o'], default: 'gpt-4o' },
				});
				await fetch(`${control}/remember`, { method: 'POST', body: JSON.stringify({ needsUpdate }) });
				await until("the console's 'extension too old'", async () => (await theMember())?.sync === 'extension too old');
				assert.equal((await theMember())?.policySchema, 2, '0.2.0 says it reads policy schema 2');
				assert.equal(api.policy()?.revision, applied, '0.2.0 keeps the revision it could apply');
				assert.equal(api.effectiveSettings().locked, true);
				// The update starts with the policy service out of reach: it must come up locked from what 0.2.0 kept.
				assert.equal((await fetch(`${control}/service/stop`, { method: 'POST' })).status, 200);
			});
		});
		return;
	}

	describe('updating from 0.2.0: VS Code again, this release installed over it', () => {
		let remembered: Remembered;
		let updated: vscode.Extension<OrgProviderPolicyApi>;
		let deviceCodes = 0;

		it('runs the update: a newer version than 0.2.0, from its own folder', async () => {
			remembered = (await (await fetch(`${control}/remembered`)).json()) as Remembered;
			const extension = (updated = await activate());
			api.onDidShowDeviceCode(() => deviceCodes++);
			const [major = 0, minor = 0] = version(extension).split('.').map(Number);
			assert.ok(major > 0 || minor > 2, `version ${version(extension)} is newer than 0.2.0`);
			assert.doesNotMatch(extension.extensionPath, /-0\.2\.0$/);
		});

		it("starts locked at the revision 0.2.0 applied, with the policy service out of reach, and finds 0.2.0's sign-in", async () => {
			assert.equal(api.policy()?.revision, remembered.applied, "0.2.0's verified policy, from its cache");
			const effective = api.effectiveSettings();
			assert.equal(effective.locked, true, 'locked from the start');
			assert.equal(effective.provider?.baseUrl, `${endpoint}/openai`);
			// Never unlocked while the rest loads and the sign-in is read back: every change is watched.
			const unlocked: string[] = [];
			const watch = api.onDidChange(() => {
				if (!api.effectiveSettings().locked || api.policy()?.revision !== remembered.applied) {
					unlocked.push(JSON.stringify(api.syncState()));
				}
			});
			try {
				// The sync state says "signed-out" only until the stored session is read (the status bar: starting); then the service is found away.
				await until("0.2.0's sign-in, read back", () => api.syncState().status === 'stale');
			} finally {
				watch.dispose();
			}
			assert.deepEqual(unlocked, []);
		});

		it("sends with the key 0.2.0 stored, and the policy's headers and api-version, before the service is back", async () => {
			assert.equal(await chat('Hello from the update'), 'Hello from the endpoint ✓');
			const sent = await lastChat();
			assert.equal(sent?.headers['api-key'], MEMBER_KEY);
			assert.equal(sent?.headers['x-tenant'], 'acme');
			assert.equal(sent?.headers['x-gateway-key'], GATEWAY_KEY);
			assert.deepEqual(sent?.query, { 'api-version': ['2024-06-01'] });
			// Sent by the update (0.2.0 sent the SDK's minified "Da/JS" instead of its own name).
			assert.match(sent?.headers['user-agent'] ?? '', new RegExp(`^OrgProviderPolicy/${version(updated).replace(/\./g, '\\.')} `));
		});

		it('syncs on without a new sign-in once the service is back, and takes the revision 0.2.0 could not', async function () {
			this.timeout(90_000);
			assert.equal((await fetch(`${control}/service/start`, { method: 'POST' })).status, 200);
			await until(
				`revision ${remembered.needsUpdate}`,
				() => api.syncState().status === 'in-sync' && api.policy()?.revision === remembered.needsUpdate,
				60_000,
			);
			assert.equal(deviceCodes, 0, 'no device code was shown: the member was not asked to sign in again');
			const accounts = await vscode.authentication.getAccounts('org-provider-policy');
			assert.deepEqual(
				accounts.map((account) => account.label),
				['dev@acme.example (Acme Corp)'],
			);
			// The organization token replaces the member's key.
			assert.equal(await chat('Hello with an organization token'), 'Hello from the endpoint ✓');
			const sent = await lastChat();
			assert.equal(sent?.headers['api-key'], undefined);
			const token = /^Bearer (.+)$/.exec(sent?.headers.authorization ?? '')?.[1] ?? '';
			const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
			assert.deepEqual({ aud: claims.aud, email: claims.email }, { aud: AUDIENCE, email: member.email });
			await until('the console to show the member in sync', async () => (await theMember())?.sync === 'in sync');
			const listed = await theMember();
			assert.equal(listed?.policySchema, 3);
			assert.equal(listed?.appliedRevision, remembered.needsUpdate);
			// The same sign-in (one machine) before and after the update, now saying what it runs.
			assert.deepEqual(
				listed?.signIns?.map((machine) => [machine.appliedRevision, machine.policySchema, machine.extensionVersion, machine.vscodeVersion]),
				[[remembered.needsUpdate, 3, version(updated), vscode.version]],
			);
		});
	});
}
