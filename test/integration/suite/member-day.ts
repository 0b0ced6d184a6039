import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { OrgProviderPolicyApi } from '../../../src/extension/api';
import type { LanguageModelConsumer } from '../lm-consumer/extension';
import { packagedChecks } from './packaged';
import { approveDeviceCode } from './device-approval';
import { workbenchDriver } from './drive';

const env = (name: string): string => {
	const value = process.env[name];
	if (!value) {
		throw new Error(`${name} is not set: run this suite through test/integration/launch.ts`);
	}
	return value;
};

interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string[]>;
	headers: Record<string, string | undefined>;
	body: unknown;
	aborted?: boolean;
}

const MEMBER_KEY = 'sk-member-integration-key-0001';
/** Screenshots from the host matrix name their VS Code build (code-server 4.104, 4.139), so one does not overwrite another. */
const hostSuffix = process.env.ORG_POLICY_CODE_SERVER_VERSION ? `-code-server-${process.env.ORG_POLICY_CODE_SERVER_VERSION}` : '';
/** VS Code 1.122 and later list extensions' models in their own chat with nobody signed in to GitHub Copilot (#24 item 4). */
const [vscodeMajor = 0, vscodeMinor = 0] = vscode.version.split('.').map(Number);
const chatListsWithoutSignIn = vscodeMajor > 1 || vscodeMinor >= 122;

/** The member's whole day, asserted through the `vscode` API and the extension's public API. */
export function memberDay(): void {
	const control = env('ORG_POLICY_TEST_CONTROL');
	const service = () => env('ORG_POLICY_TEST_SERVICE');
	const endpoint = env('ORG_POLICY_TEST_ENDPOINT');
	const adminToken = env('ORG_POLICY_TEST_ADMIN_TOKEN');
	let api: OrgProviderPolicyApi;
	/** Every policy-change notice the member was shown, in order (for failure messages). */
	const announcements: { message: string; actions: readonly string[] }[] = [];
	let revision = 1;
	/** Whether the day moved the endpoint while the chat view had a conversation (its transcript then marks it). */
	let endpointMoved = false;

	const admin = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
		const response = await fetch(`${service()}${path}`, {
			method,
			headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : undefined };
	};
	const savePolicy = async (settings: unknown) => {
		const saved = await admin('PUT', '/api/v1/admin/policy', settings, { 'if-match': `"${revision}"` });
		assert.equal(saved.status, 200, JSON.stringify(saved.body));
		revision = saved.body.policy.revision;
		return revision;
	};
	const requests = async (): Promise<RecordedRequest[]> =>
		(await fetch(`${control}/endpoint/requests`)).json() as Promise<RecordedRequest[]>;
	const lastChat = async () => (await requests()).filter((request) => request.path.endsWith('/chat/completions')).pop()!;
	const setEndpointBehaviour = (behaviour: unknown) =>
		fetch(`${control}/endpoint/behaviour`, { method: 'POST', body: JSON.stringify(behaviour) });
	type Wanted = { kind: 'notification' | 'dialog'; contains: string; screenshot: string; click?: string };
	const drive = workbenchDriver(control);
	/** What the member sees in the workbench (a toast or a dialog), with a screenshot in test-results/; undefined on a host with no page to drive. */
	const seenIfDriven = async (wanted: Wanted): Promise<string | undefined> => {
		const result = await drive<{ text?: string }>('/ui-message', wanted);
		return result && (result.text ?? '');
	};
	/**
	 * A notice in the notification center, where every VS Code version keeps it (1.139 shows no toast
	 * to an unfocused window): its text, or undefined where nothing can be seen.
	 */
	const noticeIfDriven = async (contains: string, screenshot: string): Promise<string | undefined> => {
		await vscode.commands.executeCommand('notifications.showList');
		try {
			return await seenIfDriven({ kind: 'notification', contains, screenshot });
		} finally {
			await vscode.commands.executeCommand('notifications.hideList');
		}
	};
	/** The same, for a test that is only about what the member sees: skipped where nothing can be seen. */
	const seen = async (test: Mocha.Context, wanted: Wanted): Promise<string> => {
		const text = await seenIfDriven(wanted);
		if (text === undefined) {
			test.skip();
		}
		return text ?? '';
	};
	type ChatError = { buttons?: string[]; error?: string; prompt?: string; retried?: string };
	/** A failed answer in the chat view, one of its buttons pressed (screenshots in test-results/); skipped where nothing can be seen. */
	const chatError = async (
		test: Mocha.Context,
		scenario: { message: string; screenshot: string; press: 'setApiKey' | 'tryAgain' },
	): Promise<ChatError> => {
		const result = await drive<ChatError>('/ui-chat-error', scenario);
		if (!result) {
			test.skip();
		}
		return result ?? {};
	};
	/** The status bar item's accessible label as the workbench shows it (a screenshot of the bar); undefined where nothing can be seen. */
	const statusItem = async (screenshot: string): Promise<string | undefined> => {
		const result = await drive<{ label?: string }>('/ui-status', { screenshot });
		return result && (result.label ?? '');
	};
	/** The second extension, consuming models as Cline's "VS Code LM API" provider does. */
	const consumer = async (): Promise<LanguageModelConsumer> => {
		const extension = vscode.extensions.getExtension<LanguageModelConsumer>('org-provider-policy-tests.lm-consumer');
		assert.ok(extension, 'the consumer extension is installed beside ours');
		return extension.activate();
	};
	/** Within 10 s, selectChatModels answers with exactly these models (VS Code re-resolves them after our change event). */
	const modelsBecome = async (lm: LanguageModelConsumer, ids: string[]) => {
		const deadline = Date.now() + 10_000;
		let seen: string[] = [];
		while (Date.now() < deadline) {
			seen = (await lm.models()).map((model) => model.id);
			if (JSON.stringify(seen) === JSON.stringify(ids)) {
				return;
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		assert.deepEqual(seen, ids, 'the models offered through vscode.lm');
	};
	const providerChoices = () =>
		vscode.commands.executeCommand<{ id: string; label: string; locked: boolean }[]>('orgProviderPolicy.providerChoices');

	/** Waits on the extension's change event (never a sleep), failing after 10 s. */
	const until = (what: string, predicate: () => boolean, timeoutMs = 10_000) =>
		new Promise<void>((resolve, reject) => {
			if (predicate()) {
				resolve();
				return;
			}
			const timer = setTimeout(() => {
				listener.dispose();
				reject(
					new Error(
						`timed out after ${timeoutMs} ms waiting for ${what}; sync state: ${JSON.stringify({ ...api.syncState(), policy: api.policy()?.revision })}`,
					),
				);
			}, timeoutMs);
			const listener = api.onDidChange(() => {
				if (predicate()) {
					clearTimeout(timer);
					listener.dispose();
					resolve();
				}
			});
		});
	const inSyncAt = (wanted: number) => () => api.syncState().status === 'in-sync' && api.policy()?.revision === wanted;

	/** The next notice whose text includes `text` (listening starts now), failing after 15 s. */
	const announcement = (text: string) =>
		new Promise<{ message: string; actions: readonly string[] }>((resolve, reject) => {
			const timer = setTimeout(() => {
				listener.dispose();
				reject(new Error(`no notice saying "${text}"; notices: ${JSON.stringify(announcements)}`));
			}, 15_000);
			const listener = api.onDidAnnounce((announced) => {
				if (announced.message.includes(text)) {
					clearTimeout(timer);
					listener.dispose();
					resolve(announced);
				}
			});
		});

	const policyFor = (baseUrl: string, headers: Record<string, string>) => ({
		enabled: true,
		adminContact: 'ai-platform@acme.example',
		provider: {
			id: 'openai-compatible',
			baseUrl,
			headers,
			apiKeyRequired: true,
			azure: { apiVersion: '2024-06-01' },
			models: { allowed: ['gpt-4o', 'gpt-4o-mini'], default: 'gpt-4o' },
		},
	});

	describe("a member's day with Org Provider Policy", () => {
		it('activates; with no policy the provider picker offers the presets', async () => {
			const extension = vscode.extensions.getExtension<OrgProviderPolicyApi>('org-provider-policy.org-provider-policy');
			assert.ok(extension, 'the extension is installed in the host');
			api = await extension.activate();
			api.onDidAnnounce((announcement) => announcements.push(announcement));
			assert.equal(api.version, 1);
			const choices = await providerChoices();
			assert.deepEqual(
				choices.map((choice) => choice.label),
				['OpenAI', 'OpenRouter', 'Ollama', 'LM Studio', 'OpenAI Compatible (any URL)'],
			);
			assert.ok(choices.every((choice) => !choice.locked));
		});

		it('signs in with the device flow, approved on the service /device page as the member would', async () => {
			const shown = new Promise<{ userCode: string }>((resolve) => api.onDidShowDeviceCode(resolve));
			const signIn = vscode.commands.executeCommand('orgProviderPolicy.signIn');
			const { userCode } = await shown;
			const { html } = await approveDeviceCode(service(), userCode, {
				email: env('ORG_POLICY_TEST_MEMBER_EMAIL'),
				password: env('ORG_POLICY_TEST_MEMBER_PASSWORD'),
			});
			assert.match(html, /Acme Corp/);
			await signIn;
			const accounts = await vscode.authentication.getAccounts('org-provider-policy');
			assert.deepEqual(
				accounts.map((account) => account.label),
				['dev@acme.example (Acme Corp)'],
				'the organization account is visible through vscode.authentication',
			);
			await until('the first revision', inSyncAt(1));
		});

		it("applies the admin's policy: only the managed provider is offered; settings edits are ignored", async () => {
			const saved = await savePolicy(policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' }));
			await until(`revision ${saved}`, inSyncAt(saved));
			// Told once the changes stop (a burst of revisions is one notice): the organization manages the provider now.
			const managed = await announcement('now manages your AI provider');
			assert.match(managed.message, /^Acme Corp now manages your AI provider: requests go to 127\.0\.0\.1:\d+ — enter your API key\.$/);
			assert.deepEqual(managed.actions, ['setApiKey']);
			const effective = api.effectiveSettings();
			assert.equal(effective.locked, true);
			assert.deepEqual(await providerChoices(), [
				{ id: 'managed', label: 'OpenAI Compatible — managed by Acme Corp', detail: `${endpoint}/openai`, locked: true },
			]);
			await vscode.workspace.getConfiguration('orgProviderPolicy').update('provider.preset', 'ollama', vscode.ConfigurationTarget.Global);
			await vscode.workspace
				.getConfiguration('orgProviderPolicy')
				.update('provider.baseUrl', 'http://127.0.0.1:9/v1', vscode.ConfigurationTarget.Global);
			assert.equal(api.effectiveSettings().provider?.baseUrl, `${endpoint}/openai`, 'the policy still wins');
			assert.equal(api.effectiveSettings().locked, true);
			assert.deepEqual((await api.models()).models, ['gpt-4o', 'gpt-4o-mini']);
		});

		it("takes no policy service, own provider or header from the workspace's .vscode/settings.json, which any repository can carry", async function () {
			const folder = vscode.workspace.workspaceFolders?.[0];
			if (!folder) {
				// The Electron host opens no folder: there are no workspace settings to carry.
				this.skip();
			}
			// Where a hostile repository would send the member: it must hear nothing.
			const asked: string[] = [];
			const elsewhere = createServer((request, response) => {
				asked.push(`${request.method} ${request.url}`);
				response.writeHead(500).end();
			});
			await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
			const address = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
			const file = vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json');
			const carried = {
				'orgProviderPolicy.serverUrl': address,
				'orgProviderPolicy.overrideManagedServer': true,
				'orgProviderPolicy.organization': 'elsewhere',
				'orgProviderPolicy.provider.preset': 'custom',
				'orgProviderPolicy.provider.baseUrl': `${address}/v1`,
				'orgProviderPolicy.provider.headers': { 'X-Carried': 'yes' },
			};
			try {
				// A setting a workspace may set shows when VS Code has read the file.
				const read = new Promise<void>((resolve, reject) => {
					const timer = setTimeout(() => reject(new Error('VS Code did not read the workspace settings within 10 s')), 10_000);
					const listener = vscode.workspace.onDidChangeConfiguration((event) => {
						if (event.affectsConfiguration('editor.tabSize')) {
							clearTimeout(timer);
							listener.dispose();
							resolve();
						}
					});
				});
				await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify({ 'editor.tabSize': 7, ...carried }, null, 2)));
				await read;
				assert.equal(vscode.workspace.getConfiguration('editor').get('tabSize'), 7);
				const ours = vscode.workspace.getConfiguration('orgProviderPolicy');
				for (const name of Object.keys(carried)) {
					const key = name.slice('orgProviderPolicy.'.length);
					assert.equal(ours.inspect(key)?.workspaceValue, undefined, `${name} is not read from the workspace`);
				}
				await vscode.commands.executeCommand('orgProviderPolicy.refreshPolicy');
				assert.equal(api.syncState().status, 'in-sync', 'still following its own service');
				assert.equal(api.effectiveSettings().provider?.baseUrl, `${endpoint}/openai`);
				assert.deepEqual(asked, [], 'nothing reached the address the workspace named');
			} finally {
				await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, '.vscode'), { recursive: true });
				elsewhere.close();
			}
		});

		it("sets the sign-in aside when IT's bootstrap file moves the service, sending the new address no token, and takes it up again when the file moves back", async () => {
			const file = process.env.ORG_PROVIDER_POLICY_BOOTSTRAP!;
			const deployed = readFileSync(file, 'utf8');
			const revision = api.policy()?.revision;
			// Where the file now says the service is: it must be sent none of the member's tokens.
			const carried: string[] = [];
			const moved = createServer((request, response) => {
				carried.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
				response.writeHead(503).end();
			});
			await new Promise<void>((resolve) => moved.listen(0, '127.0.0.1', resolve));
			try {
				writeFileSync(
					file,
					JSON.stringify({ serverUrl: `http://127.0.0.1:${(moved.address() as AddressInfo).port}`, organization: 'acme' }),
				);
				await until('the sign-in set aside for the moved service', () => api.syncState().status === 'signed-out');
				const notice = await noticeIfDriven('policy service is now http://127.0.0.1', `integration-service-moved${hostSuffix}.png`);
				if (notice !== undefined) {
					assert.match(
						notice,
						/Acme Corp's policy service is now http:\/\/127\.0\.0\.1:\d+ \(was http:\/\/127\.0\.0\.1:\d+\)\. Sign in there/,
					);
					assert.match(notice, /Sign In/);
				}
				assert.equal(api.policy()?.revision, revision, 'the last policy stays in force (fail closed)');
				assert.equal(api.effectiveSettings().locked, true);
				assert.deepEqual(await vscode.authentication.getAccounts('org-provider-policy'), [], 'no account for the moved service yet');
				writeFileSync(file, deployed);
				await until('in sync again with the service the file names once more', () => api.syncState().status === 'in-sync');
				assert.deepEqual(
					carried.filter((request) => !request.endsWith(' ')),
					[],
					'no token reached the moved address',
				);
			} finally {
				writeFileSync(file, deployed);
				moved.close();
			}
		});

		it("says once whether VS Code's own chat lists the organization's models: not before 1.122 without a Copilot sign-in (#24 item 4)", async () => {
			await until("what VS Code's chat lists", () => api.vscodeChat() !== undefined);
			// What VS Code's own chat shows here (the secondary side bar), beside what the extension decided.
			const shown = await drive<{ text?: string }>('/ui-vscode-chat', { screenshot: `integration-vscode-chat${hostSuffix}.png` });
			if (chatListsWithoutSignIn) {
				// 1.139 picks the organization's model as its chat's default with nobody signed in: nothing to say.
				assert.deepEqual(api.vscodeChat(), { listed: true, copilotPolicy: false });
				if (shown) {
					assert.match(shown.text ?? '', /gpt-4o/, "VS Code's chat shows the organization's model");
				}
				return;
			}
			if (shown) {
				assert.doesNotMatch(shown.text ?? '', /gpt-4o/, "VS Code's chat shows none of the organization's models");
			}
			assert.deepEqual(api.vscodeChat(), { listed: false, reason: 'copilot-sign-in-needed' });
			const notice = await noticeIfDriven("VS Code's own chat does not list", `integration-vscode-chat-not-listed${hostSuffix}.png`);
			if (notice !== undefined) {
				assert.match(
					notice,
					/Acme Corp's models here: before VS Code 1\.122 it lists models from extensions only while you are signed in to GitHub Copilot/,
				);
				assert.match(notice, /Open Org Provider Policy Chat/);
			}
		});

		it('sends a chat completion with both custom headers, api-version once and the key from SecretStorage', async () => {
			await vscode.commands.executeCommand('orgProviderPolicy.setApiKey', MEMBER_KEY);
			const answer = await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', 'Hello from the integration suite');
			assert.equal(answer, 'Hello from the endpoint ✓');
			const request = await lastChat();
			assert.equal(request.method, 'POST');
			assert.equal(request.path, '/openai/deployments/gpt-4o/chat/completions');
			assert.deepEqual(request.query, { 'api-version': ['2024-06-01'] });
			assert.equal(request.headers['x-tenant'], 'acme');
			assert.equal(request.headers['x-cost-center'], 'cc-42');
			assert.equal(request.headers['api-key'], MEMBER_KEY);
			assert.equal(request.headers.authorization, undefined);
			// An honest User-Agent, in the production build too (the packaged run): not the SDK's minified "$/JS".
			assert.match(request.headers['user-agent'] ?? '', /^OrgProviderPolicy\/\d+\.\d+\.\d+ \(VS Code \d+\.\d+\.\d+/);

			const report = await vscode.commands.executeCommand<{ ok: boolean; headersSent: Record<string, string>; message: string }>(
				'orgProviderPolicy.testConnection',
			);
			assert.equal(report.ok, true, report.message);
			assert.deepEqual(report.headersSent, { 'X-Cost-Center': '••••••', 'X-Tenant': '••••••', 'api-key': '•••••• (your API key)' });
		});

		it("offers another extension exactly the organization's models through vscode.lm, with the policy's per-model settings; a removed model's notice says where to pick another", async () => {
			const lm = await consumer();
			assert.deepEqual(
				(await lm.models()).map((model) => model.id),
				['gpt-4o', 'gpt-4o-mini'],
			);
			// The admin narrows the list and describes the model that stays: within seconds selectChatModels
			// answers with the new list. (VS Code 1.117's extension host never fires lm.onDidChangeChatModels:
			// its emitter has no caller, so consumers there see changes on their next selectChatModels.)
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			const picked = (await lm.models()).find((model) => model.id === 'gpt-4o')!;
			// Earlier toasts stay while the window has no focus, and the workbench shows only a few at once.
			await vscode.commands.executeCommand('notifications.clearAll');
			const removal = announcement('removed gpt-4o');
			const narrowed = await savePolicy({
				...policy,
				provider: {
					...policy.provider,
					models: { allowed: ['gpt-4o-mini'], settings: { 'gpt-4o-mini': { displayName: 'GPT-4o mini (Acme)', contextWindow: 64_000 } } },
				},
			});
			await until(`revision ${narrowed}`, inSyncAt(narrowed));
			await modelsBecome(lm, ['gpt-4o-mini']);
			assert.deepEqual(
				(await lm.models()).map(({ id, name, vendor, maxInputTokens }) => ({ id, name, vendor, maxInputTokens })),
				[{ id: 'gpt-4o-mini', name: 'GPT-4o mini (Acme)', vendor: 'org-provider-policy', maxInputTokens: 64_000 }],
			);
			try {
				// The member had picked gpt-4o in an assistant: the notice names it and where to pick another (#24 item 3).
				assert.match(
					(await removal).message,
					/removed gpt-4o: pick another model where you used it — VS Code's chat: the model picker; Cline: API Provider settings; Roo Code/,
				);
				const shown = await noticeIfDriven('removed gpt-4o', `integration-model-removed${hostSuffix}.png`);
				if (shown !== undefined) {
					assert.match(shown, /removed gpt-4o: pick another model/);
				}
				// A Cline-shaped consumer still asking for gpt-4o by its full selector fails as Cline does; with the model it picks next, it works.
				await assert.rejects(lm.asCline(picked, 'You are a careful assistant.', 'Hello'), /No VS Code language model matched selector/);
				const recovered = await lm.ask('gpt-4o-mini', 'Still there?');
				assert.equal(recovered.error, undefined, JSON.stringify(recovered.error));
				assert.ok(recovered.text.length > 0, 'the model the member picked next answers');
			} finally {
				// Whatever the checks above found, the day goes on with the organization's whole list.
				const restored = await savePolicy(policy);
				await until(`revision ${restored}`, inSyncAt(restored));
			}
			await modelsBecome(lm, ['gpt-4o', 'gpt-4o-mini']);
			assert.deepEqual(
				(await lm.models()).map(({ id, maxInputTokens }) => ({ id, maxInputTokens })),
				[
					{ id: 'gpt-4o', maxInputTokens: 128_000 },
					{ id: 'gpt-4o-mini', maxInputTokens: 128_000 },
				],
			);
			assert.ok((await lm.countTokens('gpt-4o', 'Hello, world!')) === 4, "token counts use the model family's public encoding");
		});

		it("points VS Code's utility models at the organization's model where the policy names one; the console sees a member's own change (#24 item 4)", async () => {
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			const chat = () => vscode.workspace.getConfiguration('chat');
			const ours = 'org-provider-policy/gpt-4o-mini';
			// VS Code has these settings from 1.12x on; an older one says so to the console instead.
			const supported = chat().inspect('utilityModel')?.defaultValue !== undefined;
			const memberChat = async (what: string, wanted: (chat: Record<string, unknown> | undefined) => boolean) => {
				const deadline = Date.now() + 15_000;
				let seen: Record<string, unknown> | undefined;
				while (Date.now() < deadline) {
					const { members } = (await admin('GET', '/api/v1/admin/members')).body as {
						members: { email: string; vscodeChat?: Record<string, unknown> }[];
					};
					seen = members.find((member) => member.email === env('ORG_POLICY_TEST_MEMBER_EMAIL'))?.vscodeChat;
					if (wanted(seen)) {
						return seen;
					}
					await new Promise((resolve) => setTimeout(resolve, 250));
				}
				assert.fail(`the console never showed ${what}: ${JSON.stringify(seen)}`);
			};
			const settingBecomes = async (name: string, value: string | undefined) => {
				const deadline = Date.now() + 10_000;
				while (chat().inspect(name)?.globalValue !== value && Date.now() < deadline) {
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
				assert.equal(chat().inspect(name)?.globalValue, value, `chat.${name}`);
			};
			const named = await savePolicy({
				...policy,
				provider: {
					...policy.provider,
					models: { ...policy.provider.models, utilityModel: 'gpt-4o-mini', utilitySmallModel: 'gpt-4o-mini' },
				},
			});
			await until(`revision ${named}`, inSyncAt(named));
			if (!supported) {
				await memberChat(
					'an unsupported VS Code',
					(status) => (status?.reported as { supported?: boolean } | undefined)?.supported === false,
				);
			} else {
				await settingBecomes('utilityModel', ours);
				await settingBecomes('utilitySmallModel', ours);
				await memberChat(
					'the policy’s utility models',
					(status) => (status?.reported as { utilityModel?: string } | undefined)?.utilityModel === ours && status?.drifted === false,
				);
				// The member picks another: the extension leaves it (it cannot lock it), the console says so.
				await chat().update('utilityModel', 'copilot/gpt-4.1', vscode.ConfigurationTarget.Global);
				await memberChat('the member’s own choice', (status) => status?.drifted === true);
				assert.equal(chat().inspect('utilityModel')?.globalValue, 'copilot/gpt-4.1', 'not overwritten');
			}
			// The policy stops naming them: the value this extension wrote goes, the member's own stays.
			const dropped = await savePolicy(policy);
			await until(`revision ${dropped}`, inSyncAt(dropped));
			if (supported) {
				await settingBecomes('utilitySmallModel', undefined);
				assert.equal(chat().inspect('utilityModel')?.globalValue, 'copilot/gpt-4.1');
				await chat().update('utilityModel', undefined, vscode.ConfigurationTarget.Global);
			}
		});

		it("gives the member's group its overlay's models through vscode.lm, live; Show Effective Policy names the group, the overlay and a rollout (#27)", async () => {
			const lm = await consumer();
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			const group = await admin('POST', '/api/v1/admin/groups', {
				displayName: 'Research',
				members: [env('ORG_POLICY_TEST_MEMBER_EMAIL')],
			});
			assert.equal(group.status, 201, JSON.stringify(group.body));
			const overlaid = await savePolicy({
				...policy,
				overlays: [{ group: 'Research', models: { allowed: ['gpt-4o'], default: 'gpt-4o' } }],
			});
			await until(
				`revision ${overlaid} with the Research overlay`,
				() => inSyncAt(overlaid)() && api.policy()?.appliedOverlays?.[0] === 'Research',
			);
			await modelsBecome(lm, ['gpt-4o']);

			// A change tried on the member's group first: they are in its canary, and told so.
			const tried = await admin(
				'PUT',
				'/api/v1/admin/policy?rollout=group:Research',
				{ ...policy, adminContact: 'pilots@acme.example', overlays: [{ group: 'Research', models: { allowed: ['gpt-4o'] } }] },
				{ 'if-match': `"${revision}"` },
			);
			assert.equal(tried.status, 200, JSON.stringify(tried.body));
			revision = tried.body.policy.revision;
			await until(`the canary revision ${revision}`, inSyncAt(revision));
			await vscode.commands.executeCommand('orgProviderPolicy.showEffectivePolicy');
			const shown = vscode.window.activeTextEditor?.document.getText() ?? '';
			await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
			assert.match(shown, /Group overlays: Research \(applied in this order over the organization's policy\)/);
			assert.match(shown, /Your groups: Research/);
			assert.match(
				shown,
				new RegExp(
					`Rollout: revision ${revision} is being tried on a canary \\(group Research\\) and you are in it; everyone else stays on revision ${overlaid}`,
				),
			);
			assert.match(shown, /Allowed models: gpt-4o\b/);
			assert.equal((await admin('POST', '/api/v1/admin/rollout/promote')).status, 200);

			// The overlay goes: the organization's models come back, live.
			const restored = await savePolicy(policy);
			await until(`revision ${restored} without overlays`, () => inSyncAt(restored)() && api.policy()?.appliedOverlays === undefined);
			await modelsBecome(lm, ['gpt-4o', 'gpt-4o-mini']);
			assert.equal((await admin('DELETE', `/api/v1/admin/groups/${encodeURIComponent(group.body.id)}`)).status, 204);
		});

		it("streams another extension's request through the organization's endpoint with its headers, api-version and the member's key", async () => {
			const transcript = await (await consumer()).ask('gpt-4o', 'Hello through vscode.lm');
			assert.equal(transcript.error, undefined, JSON.stringify(transcript.error));
			assert.equal(transcript.text, 'Hello from the endpoint ✓');
			const request = await lastChat();
			assert.equal(request.path, '/openai/deployments/gpt-4o/chat/completions');
			assert.deepEqual(request.query, { 'api-version': ['2024-06-01'] });
			assert.equal(request.headers['x-tenant'], 'acme');
			assert.equal(request.headers['x-cost-center'], 'cc-42');
			assert.equal(request.headers['api-key'], MEMBER_KEY);
		});

		it('completes a tool round trip: tool call, tool result, final answer', async () => {
			await setEndpointBehaviour({
				toolCalls: [{ id: 'call_weather', name: 'get_weather', argumentPieces: ['{"ci', 'ty": "Paris"}'] }],
				answer: ['It is ', '18 °C in Paris.'],
			});
			try {
				const { first, final } = await (await consumer()).askWithTool('gpt-4o-mini', 'Weather in Paris?');
				assert.deepEqual(
					first.toolCalls,
					[{ callId: 'call_weather', name: 'get_weather', input: { city: 'Paris' } }],
					JSON.stringify(first),
				);
				assert.equal(final.text, 'It is 18 °C in Paris.', JSON.stringify(final));
				const [firstRequest, secondRequest] = (await requests())
					.filter((request) => request.path.endsWith('/chat/completions'))
					.slice(-2) as [RecordedRequest, RecordedRequest];
				assert.equal((firstRequest.body as { tool_choice?: string }).tool_choice, 'required');
				const messages = (secondRequest.body as { messages: { role: string; tool_call_id?: string; content?: unknown }[] }).messages;
				assert.deepEqual(
					messages.map((message) => message.role),
					['user', 'assistant', 'tool'],
				);
				assert.deepEqual(
					{ id: messages[2]!.tool_call_id, content: messages[2]!.content },
					{ id: 'call_weather', content: '18 °C and sunny' },
				);
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it("serves a consumer shaped like Cline's: full selector, the Assistant-first system prompt as system, a native tool round trip", async () => {
			await setEndpointBehaviour({
				toolCalls: [{ id: 'call_cline', name: 'get_weather', argumentPieces: ['{"city": ', '"Paris"}'] }],
				answer: ['It is ', '18 °C in Paris.'],
			});
			try {
				const lm = await consumer();
				const chosen = (await lm.models()).find((model) => model.id === 'gpt-4o')!;
				const { first, final } = await lm.asCline(chosen, 'You are Cline, a careful engineer.', 'Weather in Paris?');
				assert.deepEqual(first.toolCalls, [{ callId: 'call_cline', name: 'get_weather', input: { city: 'Paris' } }], JSON.stringify(first));
				assert.equal(final.text, 'It is 18 °C in Paris.', JSON.stringify(final));
				const [firstRequest, secondRequest] = (await requests())
					.filter((request) => request.path.endsWith('/chat/completions'))
					.slice(-2) as [RecordedRequest, RecordedRequest];
				const roles = (request: RecordedRequest) => (request.body as { messages: { role: string }[] }).messages.map((m) => m.role);
				assert.deepEqual(roles(firstRequest), ['system', 'user'], 'the Assistant-first system prompt goes as system');
				assert.deepEqual(roles(secondRequest), ['system', 'user', 'assistant', 'tool']);
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it("serves a consumer shaped like Roo Code's: vendor and family only, countTokens, the system prompt first", async () => {
			const { id, tokens, answer } = await (await consumer()).asRooCode('gpt-4o-mini', 'You are Roo.', 'Hello, world!');
			assert.equal(id, 'gpt-4o-mini', 'family is unique per model: the first match is the one asked for');
			assert.equal(tokens, 5, 'the message counted as sent: "Hello, world!" with its quotes, in o200k_base');
			assert.equal(answer.error, undefined, JSON.stringify(answer.error));
			assert.equal(answer.text, 'Hello from the endpoint ✓');
			const request = (await requests()).filter((entry) => entry.path.endsWith('/chat/completions')).at(-1)!;
			assert.deepEqual(
				(request.body as { messages: { role: string }[] }).messages.map((m) => m.role),
				['system', 'user'],
			);
		});

		it('completes a tool round trip on a model only the Responses API serves (POST …/responses, store: false); the summary the policy asks for only where it is shown', async () => {
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			const withCodex = await savePolicy({
				...policy,
				provider: {
					...policy.provider,
					models: {
						allowed: ['gpt-4o', 'gpt-5.2-codex'],
						settings: {
							'gpt-5.2-codex': { api: 'responses', reasoning: true, pinned: { reasoning_effort: 'xhigh' }, reasoningSummary: 'auto' },
						},
					},
				},
			});
			await until(`revision ${withCodex}`, inSyncAt(withCodex));
			await setEndpointBehaviour({
				responses: {
					reasoning: true,
					// Sent only when asked for: the Language Model API has no place for it (stable VS Code), so it is not.
					reasoningSummary: [['**Checking** the weather tool']],
					toolCalls: [{ id: 'call_weather', name: 'get_weather', argumentPieces: ['{"ci', 'ty": "Paris"}'] }],
					answer: ['It is ', '18 °C in Paris.'],
				},
			});
			try {
				const lm = await consumer();
				await modelsBecome(lm, ['gpt-4o', 'gpt-5.2-codex']);
				const { first, final } = await lm.askWithTool('gpt-5.2-codex', 'Weather in Paris?');
				assert.deepEqual(
					first.toolCalls,
					[{ callId: 'call_weather', name: 'get_weather', input: { city: 'Paris' } }],
					JSON.stringify(first),
				);
				assert.equal(final.text, 'It is 18 °C in Paris.', JSON.stringify(final));
				const [firstRequest, secondRequest] = (await requests()).filter((request) => request.path.endsWith('/responses')).slice(-2) as [
					RecordedRequest,
					RecordedRequest,
				];
				assert.equal(firstRequest.path, '/openai/responses');
				assert.deepEqual(firstRequest.query, { 'api-version': ['2024-06-01'] });
				assert.equal(firstRequest.headers['api-key'], MEMBER_KEY);
				const body = firstRequest.body as { tool_choice?: string; store?: boolean; reasoning?: unknown; model?: string };
				assert.deepEqual(
					{ model: body.model, tool_choice: body.tool_choice, store: body.store, reasoning: body.reasoning },
					{ model: 'gpt-5.2-codex', tool_choice: 'required', store: false, reasoning: { effort: 'xhigh' } },
				);
				const input = (secondRequest.body as { input: { type?: string; call_id?: string; output?: string }[] }).input;
				assert.deepEqual(
					input.map((item) => item.type ?? 'message'),
					['message', 'reasoning', 'function_call', 'function_call_output'],
				);
				assert.deepEqual({ id: input[3]!.call_id, output: input[3]!.output }, { id: 'call_weather', output: '18 °C and sunny' });

				// The chat view shows the model's thinking: its request asks for the summary.
				await setEndpointBehaviour({ responses: { reasoning: true, reasoningSummary: [['**Looking** it up']], answer: ['18 °C.'] } });
				await vscode.commands.executeCommand('orgProviderPolicy.selectModel', 'gpt-5.2-codex');
				assert.equal(await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', 'Weather in Paris?'), '18 °C.');
				const fromTheView = (await requests()).filter((request) => request.path.endsWith('/responses')).at(-1)!;
				assert.deepEqual((fromTheView.body as { reasoning?: unknown }).reasoning, { effort: 'xhigh', summary: 'auto' });
			} finally {
				await setEndpointBehaviour({});
				const back = await savePolicy(policy);
				await until(`revision ${back}`, inSyncAt(back));
				await vscode.commands.executeCommand('orgProviderPolicy.selectModel', 'gpt-4o');
			}
		});

		it("counts the member's requests at the source: the console's Usage page shows the endpoint's own token counts (#26)", async () => {
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			// An Azure API version with the usage chunk (2024-09-01 and later), and a policy that asks for usage.
			const counting = await savePolicy({
				...policy,
				provider: { ...policy.provider, azure: { apiVersion: '2024-10-21' } },
				usage: { reporting: 'counts' },
			});
			await until(`revision ${counting}`, inSyncAt(counting));
			try {
				assert.equal(
					await vscode.commands.executeCommand('orgProviderPolicy.sendUsageReport'),
					'nothing',
					'nothing counted while reporting was off',
				);
				const secret = 'PURPLE-ELEPHANT-42';
				const answer = await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', `Tell nobody: ${secret}`);
				assert.equal(answer, 'Hello from the endpoint ✓');
				const transcript = await (await consumer()).ask('gpt-4o', `Also private: ${secret}`);
				assert.equal(transcript.error, undefined, JSON.stringify(transcript.error));
				assert.ok(JSON.stringify((await lastChat()).body).includes(secret), 'the prompt reached the endpoint');

				assert.equal(await vscode.commands.executeCommand('orgProviderPolicy.sendUsageReport'), 'sent');
				const usage = await admin('GET', '/api/v1/admin/usage?groupBy=caller,model,api,outcome,revision,member');
				assert.deepEqual(
					usage.body.groups
						.map((group: Record<string, unknown>) => [
							group.caller,
							group.member,
							group.model,
							group.api,
							group.outcome,
							group.revision,
							group.requests,
							group.inputTokens,
							group.outputTokens,
							group.estimatedRequests,
							group.firstTokenRequests,
						])
						.sort(),
					[
						['chat-view', env('ORG_POLICY_TEST_MEMBER_EMAIL'), 'gpt-4o', 'chat-completions', 'ok', counting, 1, 9, 5, 0, 1],
						['language-model', env('ORG_POLICY_TEST_MEMBER_EMAIL'), 'gpt-4o', 'chat-completions', 'ok', counting, 1, 9, 5, 0, 1],
					],
					'exactly the usage the endpoint reported, once per request',
				);
				const page = (await (await fetch(`${control}/console-usage`, { method: 'POST' })).json()) as Record<string, string>;
				assert.deepEqual(page, { requests: '2', input: '18', output: '10' }, 'the Usage page (screenshot in test-results/)');
				// The member sees what was reported about them, and nothing of what they wrote.
				await vscode.commands.executeCommand('orgProviderPolicy.showReportedUsage');
				const reported = vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'org-provider-policy-usage');
				const text = reported?.getText() ?? '';
				assert.match(text, /^# Usage reported to your organization\n/);
				assert.match(text, new RegExp(`policy \\(revision ${counting}\\) asks for usage counts`));
				assert.match(text, /## Counted, not sent yet\n\nNothing\./);
				assert.match(
					text,
					/## Sent\n\n- \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d{3}Z: 2 requests in \d+ hourly buckets? \(report [0-9a-f-]{36}\)/,
				);
				assert.ok(!text.includes(secret), 'no prompt in what the member is shown as reported');
				await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
				const held = (await (await fetch(`${control}/service/holds`, { method: 'POST', body: secret })).json()) as { files: string[] };
				assert.deepEqual(held.files, [], "the prompt is nowhere in the service's database");

				// A hard budget the member has just used up (18 + 10 tokens): the next request is refused with one sentence.
				const budgeted = await savePolicy({
					...policy,
					provider: { ...policy.provider, azure: { apiVersion: '2024-10-21' } },
					usage: { reporting: 'counts', budget: { monthlyTokens: 28, enforcement: 'hard' } },
				});
				await until(`revision ${budgeted}`, inSyncAt(budgeted));
				await vscode.commands.executeCommand('orgProviderPolicy.sendUsageReport');
				const before = (await requests()).length;
				const refused = await (await consumer()).ask('gpt-4o', 'One more, please');
				assert.match(
					String(refused.error?.message ?? ''),
					/^You have used your monthly allowance of 28 tokens for Acme Corp's models; it renews on .+ \(UTC\), or ask ai-platform@acme\.example to raise it\. Until then, requests to its models are refused\.$/,
					JSON.stringify(refused),
				);
				await assert.rejects(
					Promise.resolve(vscode.commands.executeCommand('orgProviderPolicy.sendChatMessage', 'And from the chat view?')),
					/monthly allowance of 28 tokens/,
				);
				assert.equal((await requests()).length, before, 'no refused request reached the endpoint');
				// The admin raises this member's allowance: requests go through again.
				const raised = await admin('PUT', `/api/v1/admin/usage/budgets/${env('ORG_POLICY_TEST_MEMBER_EMAIL')}`, {
					monthlyTokens: 1_000_000,
				});
				assert.equal(raised.status, 204);
				await vscode.commands.executeCommand('orgProviderPolicy.sendUsageReport');
				const again = await (await consumer()).ask('gpt-4o', 'Now?');
				assert.equal(again.error, undefined, JSON.stringify(again.error));
				await vscode.commands.executeCommand('orgProviderPolicy.sendUsageReport');
				const outcomes = await admin('GET', '/api/v1/admin/usage?groupBy=outcome');
				assert.deepEqual(
					Object.fromEntries(outcomes.body.groups.map((group: { outcome: string; requests: number }) => [group.outcome, group.requests])),
					{ ok: 3, budget: 2 },
					'refused requests are counted as refused by the budget',
				);
			} finally {
				const back = await savePolicy(policy);
				await until(`revision ${back}`, inSyncAt(back));
			}
		});

		it('loads Entra ID support on first use: the member is asked how to sign in, and the chain explains its failure', async function () {
			const policy = policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' });
			const withEntra = await savePolicy({
				...policy,
				provider: { ...policy.provider, azure: { apiVersion: '2024-06-01', identityAuth: true } },
			});
			await until(`revision ${withEntra}`, inSyncAt(withEntra));
			try {
				// A dialog, not a toast: the request waits for the answer, and a toast would slide away (#28 item 8).
				// Under test VS Code refuses every modal dialog, quoting it: the request ends with the question asked.
				const refused = await (await consumer()).ask('gpt-4o', 'Hello with Entra ID');
				assert.match(refused.error?.message ?? '', /Acme Corp uses Entra ID for its AI endpoint/, JSON.stringify(refused.error));
				// The member's answer, given as the command's argument (the quick pick it otherwise shows).
				await vscode.commands.executeCommand('orgProviderPolicy.changeEntraSignIn', 'cli');
				const asked = (await consumer()).ask('gpt-4o', 'Hello again with Entra ID');
				// No az here, and the device code goes to a closed loopback port (AZURE_AUTHORITY_HOST):
				// the chain fails, which it can only do once dist/entra.js has loaded.
				const transcript = await asked;
				assert.match(transcript.error?.message ?? '', /Could not get an Entra ID token/, JSON.stringify(transcript.error));
				assert.doesNotMatch(transcript.error?.message ?? '', /Cannot find module/);
				// The same failure in the chat view: the member is offered Microsoft's sign-in and a retry (after
				// `az login`), not only the log (#28 item 6). Try again sends the question again: no az, so it fails again.
				const inView = await chatError(this, {
					message: 'Hello from the chat view with Entra ID',
					screenshot: 'integration-entra-error-actions.png',
					press: 'tryAgain',
				});
				assert.deepEqual(inView.buttons, ['Sign in with Microsoft', 'Try again', 'Copy details', 'Show Log']);
				assert.match(inView.error ?? '', /Could not get an Entra ID token/);
				assert.match(inView.retried ?? '', /Could not get an Entra ID token/, 'Try again sent the question again');
			} finally {
				const back = await savePolicy(policy);
				await until(`revision ${back}`, inSyncAt(back));
			}
		});

		it('reaches the caller with the same explanation Test Connection gives when the endpoint refuses the key', async () => {
			await setEndpointBehaviour({ status: 401 });
			try {
				const transcript = await (await consumer()).ask('gpt-4o', 'hi');
				assert.match(transcript.error?.message ?? '', /rejected your API key \(401\)/, JSON.stringify(transcript));
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it('applies a changed policy without a reload; the service shows the member in sync; the next request uses it', async function () {
			// The earlier tests changed the policy less than a notice's quiet time ago: let that settle into
			// its own notice first, so this change is announced as what it is (a burst is one notice).
			await new Promise((resolve) => setTimeout(resolve, 2000));
			// Earlier toasts stay while the window has no focus, and the workbench shows only a few at once.
			await vscode.commands.executeCommand('notifications.clearAll');
			const saved = await savePolicy(policyFor(`${endpoint}/v2/openai`, { 'X-Tenant': 'acme-eu', 'X-Region': 'westeurope' }));
			await until(`revision ${saved}`, inSyncAt(saved));
			// The member is told once that the endpoint moved, with the key to enter for it as a button (#14 item 1).
			const announced = await announcement('moved its endpoint');
			assert.deepEqual(announced.actions, ['setApiKey'], 'the notice offers the key to enter');
			const moved = await seen(this, {
				kind: 'notification',
				contains: 'moved its endpoint',
				screenshot: 'integration-endpoint-moved.png',
			});
			assert.match(moved, /Acme Corp moved its endpoint to 127\.0\.0\.1:\d+ — enter your API key\./);
			assert.match(moved, /Set API Key/);
			// Members report within a couple of seconds (spread so a save does not bring every report at once).
			const deadline = Date.now() + 10_000;
			let member: { sync: string; appliedRevision: number } | undefined;
			for (;;) {
				const members = await admin('GET', '/api/v1/admin/members');
				member = members.body.members.find((candidate: { email: string }) => candidate.email === env('ORG_POLICY_TEST_MEMBER_EMAIL'));
				if (member?.sync === 'in sync' || Date.now() > deadline) {
					break;
				}
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
			assert.equal(member?.sync, 'in sync', 'the service shows the member in sync');
			assert.equal(member?.appliedRevision, saved);
			await vscode.commands.executeCommand('orgProviderPolicy.showEffectivePolicy');
			const shown = vscode.window.activeTextEditor?.document.getText() ?? '';
			assert.match(shown, /Organization: Acme Corp \(acme\)/);
			assert.match(shown, new RegExp(`Revision: ${saved}, saved by`));
			assert.match(shown, /Source: live from the policy service/);
			assert.match(shown, /Custom headers: X-Region: ••••••, X-Tenant: ••••••/);
			// What VS Code's own chat does with the models, in this VS Code (#24 item 4).
			assert.match(
				shown,
				chatListsWithoutSignIn
					? /- In VS Code's own chat: listed \(no GitHub Copilot sign-in needed\)/
					: /- In VS Code's own chat: not listed: this VS Code lists extensions’ models only with a GitHub Copilot sign-in/,
			);
			assert.ok(!shown.includes('acme-eu') && !shown.includes('westeurope'), 'header values are masked');
			await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

			// The toast slides away; the status bar keeps asking for the key until it is entered (#28 item 8).
			const waiting = await statusItem('integration-status-key-needed.png');
			if (waiting !== undefined) {
				assert.match(waiting, /API key needed for 127\.0\.0\.1:\d+$/);
			}
			await vscode.commands.executeCommand('orgProviderPolicy.setApiKey', MEMBER_KEY);
			if (waiting !== undefined) {
				let entered = waiting;
				for (const deadline = Date.now() + 5000; /API key needed/.test(entered) && Date.now() < deadline;) {
					await new Promise((resolve) => setTimeout(resolve, 200));
					entered = (await statusItem('integration-status-key-entered.png')) ?? '';
				}
				assert.doesNotMatch(entered, /API key needed/, 'the item clears itself once the key is in');
			}
			await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', 'And again');
			const request = await lastChat();
			assert.equal(request.path, '/v2/openai/deployments/gpt-4o/chat/completions');
			assert.equal(request.headers['x-tenant'], 'acme-eu');
			assert.equal(request.headers['x-region'], 'westeurope');
			assert.equal(request.headers['x-cost-center'], undefined, 'a removed header is no longer sent');
			endpointMoved = true;
			// The earlier conversation went to the previous endpoint: none of it is sent to this one (#28 item 7).
			assert.deepEqual(
				(request.body as { messages: { role: string; content: string }[] }).messages.map(({ role, content }) => [role, content]),
				[['user', 'And again']],
			);
		});

		it('shows the chat view with the streamed answer, the lock badge and the status bar (UI evidence)', async function () {
			const result = (await (
				await fetch(`${control}/ui-check`, { method: 'POST', body: JSON.stringify({ expectDivider: endpointMoved }) })
			).json()) as {
				skipped?: string;
				ok?: boolean;
				detail?: string;
			};
			if (result.skipped) {
				this.skip();
			}
			assert.equal(result.ok, true, result.detail);
		});

		it('keeps a question it cannot send yet: one too long (saying so), one typed while an answer streams (also when the view is hidden), sent with Enter afterwards', async function () {
			// The answer's bytes in pieces half a second apart (about 3 s): time to type and press Enter while it streams.
			await setEndpointBehaviour({ splitBytes: 250, chunkDelayMs: 500 });
			try {
				// Asserts what the member saw (the driver's detail says which step differed); skipped without a page.
				if (!(await drive<{ detail: string }>('/ui-draft-while-answering', {}))) {
					this.skip();
				}
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it("copies an answer's code block with its Copy button, the code only, through VS Code's clipboard", async function () {
			await setEndpointBehaviour({ answer: ['Run the tests:\n\n```sh\n', 'npm test -- --grep policy\n', '```\n', '\nThen push.'] });
			try {
				await vscode.env.clipboard.writeText('before');
				const copied = await drive<{ shown: string }>('/ui-copy-code', { question: 'How do I run the tests?' });
				if (!copied) {
					this.skip();
				}
				assert.equal(copied.shown, 'npm test -- --grep policy\n');
				// The webview's message reaches the extension, which writes the clipboard, a moment after the click.
				let clipboard = '';
				for (let attempt = 0; attempt < 50 && clipboard !== copied.shown; attempt++) {
					clipboard = await vscode.env.clipboard.readText();
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
				assert.equal(clipboard, copied.shown, 'the clipboard holds the code block, and only it');
			} finally {
				await setEndpointBehaviour({});
			}
		});

		const thought = ['The member asks', ' which is greater.', ' 9.8 is 9.80,', ' and 9.80 > 9.11.'];
		for (const [wire, behaviour] of [
			// vLLM's field for it; slow, so the thinking is on screen for a while before the answer.
			['in delta.reasoning (vLLM)', { reasoning: { field: 'reasoning', pieces: thought }, answer: ['9.8', ' is greater.'] }],
			// text-generation-inference (or vLLM without a reasoning parser): the tags in the answer itself.
			['inside <think> tags (text-generation-inference)', { answer: ['<think>', ...thought, '</think>', '\n\n9.8', ' is greater.'] }],
		] as const) {
			it(`shows a reasoning model's thinking ${wire} while it thinks, folded once it answers, and never sends it back`, async function () {
				await setEndpointBehaviour({ ...behaviour, splitBytes: 120, chunkDelayMs: 250 });
				try {
					const shown = await drive('/ui-thinking', {
						question: 'Which is greater, 9.11 or 9.8?',
						thought: thought.join(''),
						answer: '9.8 is greater.',
					});
					if (!shown) {
						this.skip();
					}
					await setEndpointBehaviour({});
					await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', 'And 9.9?');
					const sent = JSON.stringify((await lastChat()).body);
					assert.match(sent, /9\.8 is greater\./, 'the answer is part of the next question’s context');
					assert.doesNotMatch(sent, /The member asks|<think>/, 'what the model thought is not');
				} finally {
					await setEndpointBehaviour({});
				}
			});
		}

		it('offers the reasoning efforts the policy lets members pick, beside Send, and sends the one picked', async function () {
			// The policy in force, with one model more: the endpoint stays where the earlier tests left it.
			const policy = policyFor(`${endpoint}/v2/openai`, { 'X-Tenant': 'acme-eu', 'X-Region': 'westeurope' });
			const inForce = (await admin('GET', '/api/v1/policy', undefined, { 'org-policy-schema': '3' })).body.policy;
			assert.equal(inForce.provider.baseUrl, policy.provider.baseUrl, 'the policy the earlier tests left');
			const withEfforts = await savePolicy({
				...policy,
				provider: {
					...policy.provider,
					models: {
						...policy.provider.models,
						allowed: ['gpt-4o', 'gpt-4o-mini', 'o4-mini'],
						settings: {
							'o4-mini': { reasoning: true, reasoningEfforts: ['low', 'high'] },
							'gpt-4o-mini': { reasoningEfforts: ['low', 'high'] },
						},
					},
				},
			});
			await until(`revision ${withEfforts}`, inSyncAt(withEfforts));
			try {
				const picked = await drive('/ui-effort', {
					model: 'o4-mini',
					effort: 'high',
					efforts: ['low effort', 'high effort'],
					plain: 'gpt-4o-mini',
					back: 'gpt-4o',
				});
				if (!picked) {
					this.skip();
				}
				// What the member reads of it in Show Effective Policy.
				await vscode.commands.executeCommand('orgProviderPolicy.showEffectivePolicy');
				const shown = vscode.window.activeTextEditor?.document.getText() ?? '';
				await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
				assert.match(shown, /- o4-mini: a reasoning model .*; reasoning effort you may pick: low, high \(low unless you pick another\)/);
				const body = (await lastChat()).body as { model?: string; reasoning_effort?: string; max_completion_tokens?: number };
				assert.deepEqual([body.model, body.reasoning_effort], ['o4-mini', 'high'], JSON.stringify(body));
				// Back on a model with no set, nothing is asked for.
				await vscode.commands.executeCommand<string>('orgProviderPolicy.sendChatMessage', 'And now?');
				const after = (await lastChat()).body as { model?: string; reasoning_effort?: string };
				assert.deepEqual([after.model, after.reasoning_effort], ['gpt-4o', undefined]);
			} finally {
				const back = await savePolicy(policy);
				await until(`revision ${back}`, inSyncAt(back));
			}
		});

		it('brings the conversation back with Undo after New conversation', async function () {
			// Asserts what the member saw (the driver's detail says which step differed); skipped without a page.
			if (!(await drive('/ui-undo-clear', {}))) {
				this.skip();
			}
		});

		it('says the answer is awaited until its first words arrive, and Stop ends the wait', async function () {
			await setEndpointBehaviour({ hang: true });
			try {
				// Asserts what the member saw (the driver's detail says which step differed); skipped without a page.
				if (!(await drive('/ui-waiting-for-answer', { model: 'gpt-4o' }))) {
					this.skip();
				}
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it("opens the service's password page from Change Password…, the member's address filled in (members have no console)", async function () {
			// Asserts the page that opened (the driver's detail says what it found); skipped without a page.
			if (!(await drive('/ui-change-password', { email: env('ORG_POLICY_TEST_MEMBER_EMAIL') }))) {
				this.skip();
			}
		});

		it('offers Set API Key, Copy details and Show Log as buttons on a refused request in the chat view (#14 item 5)', async function () {
			await setEndpointBehaviour({ status: 401 });
			try {
				const result = await chatError(this, {
					message: 'This one the endpoint refuses',
					screenshot: 'integration-chat-error-actions.png',
					press: 'setApiKey',
				});
				assert.deepEqual(result.buttons, ['Set API Key', 'Copy details', 'Show Log']);
				assert.match(result.error ?? '', /rejected your API key \(401\)/);
				assert.match(result.prompt ?? '', /API key/i, 'Set API Key opens the key prompt');
			} finally {
				await setEndpointBehaviour({});
			}
		});

		it("passes axe's WCAG 2.2 AA checks in the chat view, with the day's answers, failures and their buttons in it, in a light and a dark theme", async function () {
			const workbench = vscode.workspace.getConfiguration('workbench');
			const found: string[] = [];
			try {
				for (const theme of ['Default Light Modern', 'Default Dark Modern']) {
					await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
					const screenshot = `integration-chat-a11y-${theme.split(' ')[1]!.toLowerCase()}${hostSuffix}.png`;
					const checked = await drive<{ findings: string[] }>('/ui-chat-a11y', {
						screenshot,
						theme: theme.includes('Dark') ? 'dark' : 'light',
					});
					if (!checked) {
						this.skip();
					}
					found.push(...(checked?.findings ?? []).map((finding) => `${theme}: ${finding}`));
				}
			} finally {
				await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
			}
			assert.deepEqual(found, []);
		});

		it('unlocks the picker live when the admin disables the policy; the own provider waits for the member', async function () {
			await vscode.commands.executeCommand('notifications.clearAll');
			const saved = await savePolicy({ enabled: false });
			await until('the unlocked picker', () => inSyncAt(saved)() && !api.effectiveSettings().locked);
			const ended = await seen(this, {
				kind: 'notification',
				contains: 'no longer manages your AI provider',
				screenshot: 'integration-enforcement-ended.png',
			});
			assert.match(ended, /Use My Own Provider/, '#14 item 2: the end of enforcement is announced, with the way back as a button');
			const choices = await providerChoices();
			assert.equal(choices.length, 5);
			assert.ok(choices.every((choice) => !choice.locked));
			assert.equal(api.effectiveSettings().provider, undefined, "the member's own provider is not used behind their back");
			assert.match(api.effectiveSettings().warnings[0] ?? '', /Acme Corp no longer manages your AI provider/);
			await modelsBecome(await consumer(), []);
			// Test Connection with no provider in use ends with why, not with VS Code's "command failed" (#28 item 8).
			assert.equal(await vscode.commands.executeCommand('orgProviderPolicy.testConnection'), undefined);
			const why = await seenIfDriven({
				kind: 'notification',
				contains: 'Test Connection could not run',
				screenshot: 'integration-test-connection-no-provider.png',
			});
			if (why !== undefined) {
				assert.match(why, /no longer manages your AI provider/);
			}
			await vscode.commands.executeCommand('orgProviderPolicy.useOwnProvider');
			assert.equal(api.effectiveSettings().provider?.baseUrl, 'http://127.0.0.1:9/v1', "the member's own choice applies once they say so");
		});

		it('keeps the cached revision and reports stale while the service is down; in sync again when it is back', async () => {
			const before = api.policy()?.revision;
			assert.equal((await fetch(`${control}/service/stop`, { method: 'POST' })).status, 200);
			await until('stale', () => api.syncState().status === 'stale');
			assert.equal(api.policy()?.revision, before, 'the last good revision stays applied');
			const stale = api.syncState();
			assert.ok(stale.status === 'stale' && stale.since > 0 && stale.reason && stale.unreachable, 'stale says since when and why');
			const label = await statusItem('integration-status-offline.png');
			if (label !== undefined) {
				assert.match(label, /stale \(offline since .+; revision \d+\)/, 'the status bar says the member is offline, and why');
			}
			assert.equal((await fetch(`${control}/service/start`, { method: 'POST' })).status, 200);
			await until('in sync after the service returns', () => api.syncState().status === 'in-sync', 40_000);
		});

		it("says a network sign-in page is in the way, not that it is offline, and keeps the member signed in (screenshot of the status bar's tooltip)", async function () {
			this.timeout(90_000);
			const before = api.policy()?.revision;
			assert.equal((await fetch(`${control}/service/portal`, { method: 'POST' })).status, 200);
			try {
				// The event stream's end comes first (the connection closed); the next try meets the portal.
				const portalSaid =
					/answered 200 with a page \(text\/html\), not the policy service's answer: a proxy or a network sign-in page may be in the way$/;
				await until(
					'stale, naming the portal',
					() => {
						const state = api.syncState();
						return state.status === 'stale' && portalSaid.test(state.reason);
					},
					60_000,
				);
				const stale = api.syncState();
				assert.ok(stale.status === 'stale');
				assert.equal(stale.unreachable, false, 'something answered: not offline');
				assert.doesNotMatch(stale.reason, /Unexpected token|JSON/, "no parser's complaint");
				assert.equal(api.policy()?.revision, before, 'the last good revision stays applied');
				assert.equal((await vscode.authentication.getAccounts('org-provider-policy')).length, 1, 'still signed in');
				const hover = await drive<{ text?: string }>('/ui-status-hover', { screenshot: `integration-status-portal${hostSuffix}.png` });
				if (hover) {
					// The hover's text keeps the markdown's non-breaking spaces: read as plain spaces.
					assert.match(
						(hover.text ?? '').replace(/\s+/g, ' '),
						/Sync: stale \(not updated since .+a proxy or a network sign-in page may be in the way/,
					);
				}
			} finally {
				assert.equal((await fetch(`${control}/service/start`, { method: 'POST' })).status, 200);
			}
			await until('in sync after the portal lets the member through', () => api.syncState().status === 'in-sync', 40_000);
		});

		it('chats through vscode.lm in organization-token mode with no key ever set, through a real gateway, across the token’s expiry (#29)', async function () {
			this.timeout(150_000);
			const audience = 'https://gateway.acme.example';
			const gateway = (await (await fetch(`${control}/gateway/start`, { method: 'POST', body: JSON.stringify({ audience }) })).json()) as {
				url: string;
			};
			const saved = await savePolicy({
				enabled: true,
				provider: {
					id: 'openai-compatible',
					baseUrl: `${gateway.url}/v1`,
					apiKeyRequired: false,
					// The shortest lifetime, so the session outlives a token.
					organizationToken: { audience, lifetimeMinutes: 1 },
					models: { allowed: ['gpt-4o'] },
				},
			});
			await until(`revision ${saved}`, () => inSyncAt(saved)() && api.effectiveSettings().locked);
			assert.equal(api.effectiveSettings().provider?.apiKeyRequired, false, 'the member is never asked for a key');
			const lm = await consumer();
			await modelsBecome(lm, ['gpt-4o']);
			const claimsOf = (request: RecordedRequest) => {
				const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
				return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
			};

			const first = await lm.ask('gpt-4o', 'Hello through the gateway');
			assert.equal(first.error, undefined, JSON.stringify(first.error));
			assert.equal(first.text, 'Hello from the endpoint ✓');
			const before = await lastChat();
			assert.equal(before.headers['api-key'], undefined, 'no key of the member’s');
			const issued = claimsOf(before);
			assert.deepEqual(
				{ iss: issued.iss, aud: issued.aud, email: issued.email, models: issued.models },
				{ iss: service(), aud: audience, email: env('ORG_POLICY_TEST_MEMBER_EMAIL'), models: ['gpt-4o'] },
			);

			// The session goes on past the first token's expiry (the gateway checks it by the real clock).
			const expiresAt = Number(issued.exp) * 1000;
			await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 2000));
			const second = await lm.ask('gpt-4o', 'Still here after the first token expired');
			assert.equal(second.error, undefined, JSON.stringify(second.error));
			const renewed = claimsOf(await lastChat());
			assert.ok(Number(renewed.exp) > Number(issued.exp), 'a new token, issued before the old one ran out');
			assert.equal(renewed.sub, issued.sub);
		});

		it('signs the member out when the admin removes them, and the provider stays locked', async () => {
			const saved = await savePolicy(policyFor(`${endpoint}/openai`, { 'X-Tenant': 'acme' }));
			await until(`revision ${saved}`, () => inSyncAt(saved)() && api.effectiveSettings().locked);
			const members = await admin('GET', '/api/v1/admin/members');
			const member = members.body.members.find((candidate: { email: string }) => candidate.email === env('ORG_POLICY_TEST_MEMBER_EMAIL'));
			await vscode.commands.executeCommand('notifications.clearAll');
			assert.equal((await admin('DELETE', `/api/v1/admin/members/${member.id}`)).status, 204);
			await until('signed out', () => api.syncState().status === 'signed-out');
			// The notice says what happened (removed, not a generic sign-out), in the service's words.
			await vscode.commands.executeCommand('notifications.showList');
			const notice = await seenIfDriven({ kind: 'notification', contains: 'signed you out', screenshot: 'integration-member-removed.png' });
			if (notice !== undefined) {
				assert.match(notice, /Acme Corp signed you out: this account was removed from the organization\./);
			}
			assert.equal(api.effectiveSettings().locked, true, 'fail closed: the provider stays locked');
			assert.equal((await providerChoices()).length, 1);
			assert.deepEqual(
				(await (await consumer()).models()).map((model) => model.id),
				['gpt-4o', 'gpt-4o-mini'],
				'signed out: the last policy still governs vscode.lm',
			);
			assert.deepEqual(
				await vscode.authentication.getAccounts('org-provider-policy'),
				[],
				'the account is gone from vscode.authentication',
			);
		});

		let pendingCode: Promise<{ userCode: string }> | undefined;
		it('starts sign-in from the status bar item when signed out (#14 item 3)', async function () {
			assert.equal(api.syncState().status, 'signed-out');
			await vscode.commands.executeCommand('notifications.clearAll');
			const shown = new Promise<{ userCode: string }>((resolve) => api.onDidShowDeviceCode(resolve));
			const clicked = (await (await fetch(`${control}/ui-status-click`, { method: 'POST' })).json()) as { skipped?: string };
			if (clicked.skipped) {
				this.skip();
			}
			pendingCode = shown;
			const code = await seen(this, {
				kind: 'notification',
				contains: 'Your sign-in code is',
				screenshot: 'integration-status-bar-sign-in.png',
			});
			assert.match(code, /Approve it in the browser/);
		});

		it("signs a member in through the organization's identity provider (single sign-on, #15)", async () => {
			// The sign-in the status bar started (or, without a workbench page to click, one started here).
			const { userCode } = await (pendingCode ??
				new Promise<{ userCode: string }>((resolve) => {
					api.onDidShowDeviceCode(resolve);
					void vscode.commands.executeCommand('orgProviderPolicy.signIn');
				}));
			const approved = (await (
				await fetch(`${control}/sso-approve`, { method: 'POST', body: JSON.stringify({ userCode, person: 'bob@acme.test' }) })
			).json()) as { ok: boolean; detail: string };
			assert.ok(approved.ok, approved.detail);
			await until('signed in through single sign-on', () => api.syncState().status === 'in-sync');
			const accounts = await vscode.authentication.getAccounts('org-provider-policy');
			assert.deepEqual(
				accounts.map((account) => account.label),
				['bob@acme.test (Acme Corp)'],
				'the account the identity provider named, created on first sign-in',
			);
			assert.equal(api.effectiveSettings().locked, true);
		});

		it('connects from a pasted invitation link or address, asking with the exact address before changing anything (#28 item 2)', async () => {
			const before = vscode.workspace.getConfiguration('orgProviderPolicy').inspect<string>('serverUrl')?.globalValue;
			assert.equal(
				await vscode.commands.executeCommand('orgProviderPolicy.connect', 'http://policy.example.invalid'),
				'invalid',
				'plain http elsewhere',
			);
			// Under test VS Code refuses every modal dialog, quoting its question: the address asked about is the one pasted.
			await assert.rejects(
				Promise.resolve(vscode.commands.executeCommand('orgProviderPolicy.connect', 'policy.example.invalid')),
				/Connect VS Code to the policy service at https:\/\/policy\.example\.invalid\?/,
			);
			assert.equal(
				vscode.workspace.getConfiguration('orgProviderPolicy').inspect<string>('serverUrl')?.globalValue,
				before,
				'nothing changed',
			);
		});

		it("routes the invitation page's vscode:// link to the extension, which asks with the exact address before changing anything (#14 item 3)", async function () {
			await vscode.commands.executeCommand('notifications.clearAll');
			const before = vscode.workspace.getConfiguration('orgProviderPolicy').inspect<string>('serverUrl')?.globalValue;
			// The link the welcome page shows, opened in the workbench: VS Code's opener hands its own
			// scheme to the URL service, which routes it to the extension's URI handler — the path a
			// desktop VS Code takes when the system passes it a clicked vscode:// link.
			const link = vscode.Uri.parse(
				`${vscode.env.uriScheme}://org-provider-policy.org-provider-policy/sign-in?server=${encodeURIComponent('https://policy.example.invalid')}&organization=acme`,
			);
			await vscode.commands.executeCommand('vscode.open', link);
			// Under test, VS Code refuses every modal dialog (its test DialogService throws, quoting the
			// question); the extension then says the link was not opened. The question names the address.
			const refused = await seen(this, {
				kind: 'notification',
				contains: 'The sign-in link was not opened',
				screenshot: 'integration-sign-in-link.png',
			});
			assert.match(refused, /Connect VS Code to the policy service at https:\/\/policy\.example\.invalid\?/);
			assert.equal(
				vscode.workspace.getConfiguration('orgProviderPolicy').inspect<string>('serverUrl')?.globalValue,
				before,
				'nothing changed without the answer',
			);
		});
	});
	if (process.env.ORG_POLICY_INTEGRATION_PACKAGED === '1') {
		packagedChecks(seen);
	}
}
