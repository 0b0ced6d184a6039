import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { verifySignedPolicy } from '../../src/policy';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService, type TokenSet } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

describe('admin console in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;
	let member: TokenSet;

	before(async () => {
		browser = await launchChromium();
	});
	after(async () => browser?.close());

	beforeEach(async () => {
		service = await startService();
		await service.addUser('dev@acme.example', 'member');
		member = await service.signIn('dev@acme.example');
		page = await browser.newPage();
		await signInToConsole(page, service.url);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});

	const currentPolicy = async () => jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token) }));

	async function addHeader(name: string, value: string) {
		await page.click('#add-header');
		const row = page.locator('.header-row').last();
		await row.locator('.header-name').fill(name);
		await row.locator('.header-value').fill(value);
	}

	it('sets every field, saves, and shows every value again after a reload', async () => {
		assert.equal(await page.isDisabled('#save'), true, 'Save is disabled until something changes');
		assert.equal(await page.textContent('#enabled-provider'), 'None (members choose their own provider)');
		await page.check('#enabled');
		assert.equal(await page.textContent('#enabled-provider'), 'OpenAI Compatible', 'the enabled provider follows the form before Save');
		assert.equal(await page.inputValue('#api-provider'), 'openai-compatible');
		await page.fill('#base-url', 'https://acme.openai.azure.com');
		await addHeader('X-Tenant', 'acme-tenant-secret');
		await addHeader('X-Cost-Center', 'cc-4242-secret');
		await page.check('#azure');
		await page.fill('#api-version', '2024-06-01');
		assert.equal(await page.isVisible('#tenant-id'), false, 'the Entra ID tenant and scope only with Entra ID on (#28 item 9)');
		assert.equal(await page.isChecked('#api-key-required'), true);
		await page.check('#identity-auth');
		// With Entra ID members send their Microsoft token: no member key is asked for (#28 item 6).
		assert.deepEqual([await page.isChecked('#api-key-required'), await page.isDisabled('#api-key-required')], [false, true]);
		await page.fill('#tenant-id', 'contoso.onmicrosoft.com');
		await page.fill('#scope', 'https://ai.azure.com/.default');
		await page.fill('#allowed-models', 'gpt-4o, gpt-4o-mini');
		await page.fill('#default-model', 'gpt-4o');
		await page.fill('#admin-contact', 'ai-platform@acme.example');
		assert.equal(await page.isDisabled('#save'), false);
		await page.click('#save');
		await page.waitForSelector('#status.success');
		assert.match((await page.textContent('#status'))!, /Saved revision 2/);
		assert.equal(await page.textContent('#enabled-provider'), 'OpenAI Compatible');
		assert.equal(await page.isDisabled('#save'), true);

		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.deepEqual(policy.provider, {
			id: 'openai-compatible',
			baseUrl: 'https://acme.openai.azure.com',
			headers: { 'X-Tenant': 'acme-tenant-secret', 'X-Cost-Center': 'cc-4242-secret' },
			apiKeyRequired: false,
			azure: { apiVersion: '2024-06-01', identityAuth: true, tenantId: 'contoso.onmicrosoft.com', scope: 'https://ai.azure.com/.default' },
			models: { allowed: ['gpt-4o', 'gpt-4o-mini'], default: 'gpt-4o' },
		});
		assert.equal(policy.organization.adminContact, 'ai-platform@acme.example');

		await page.reload();
		assert.equal(await page.isChecked('#enabled'), true);
		assert.equal(await page.textContent('#enabled-provider'), 'OpenAI Compatible');
		assert.equal(await page.inputValue('#base-url'), 'https://acme.openai.azure.com');
		assert.deepEqual(
			await page.locator('.header-name').evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value)),
			['X-Cost-Center', 'X-Tenant'],
			'headers come back in canonical (sorted) order',
		);
		assert.equal(await page.isChecked('#api-key-required'), false);
		assert.equal(await page.isChecked('#azure'), true);
		assert.equal(await page.inputValue('#api-version'), '2024-06-01');
		assert.equal(await page.isChecked('#identity-auth'), true);
		assert.equal(await page.inputValue('#tenant-id'), 'contoso.onmicrosoft.com');
		assert.equal(await page.inputValue('#scope'), 'https://ai.azure.com/.default');
		assert.equal(await page.inputValue('#allowed-models'), 'gpt-4o, gpt-4o-mini');
		assert.equal(await page.inputValue('#default-model'), 'gpt-4o');
		assert.equal(await page.inputValue('#admin-contact'), 'ai-platform@acme.example');
		assert.equal(await page.textContent('#revision'), '2');
		const html = await page.content();
		assert.ok(!html.includes('acme-tenant-secret') && !html.includes('cc-4242-secret'), 'a saved header value reached the console HTML');

		// Saving again without touching the masked values keeps them.
		await page.fill('#default-model', 'gpt-4o-mini');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const again = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' }).policy;
		assert.equal(again.revision, 3);
		assert.deepEqual(again.provider?.headers, { 'X-Tenant': 'acme-tenant-secret', 'X-Cost-Center': 'cc-4242-secret' });
		assert.equal(again.provider?.models?.default, 'gpt-4o-mini');

		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-settings.png'), fullPage: true });
	});

	it('edits per-model settings: a row per allowed model, saved in the policy, shown again, errors beside the field', async () => {
		await page.check('#enabled');
		// What members will call, shown before saving, whatever form of Azure URL was pasted.
		await page.fill('#base-url', 'https://acme.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-06-01');
		await page.check('#azure');
		await page.fill('#api-version', '2024-10-21');
		assert.equal(
			await page.textContent('#request-url'),
			'https://acme.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21',
		);
		await page.uncheck('#azure');
		await page.fill('#base-url', 'https://acme.openai.azure.com/openai/v1');
		assert.equal(await page.textContent('#request-url'), 'https://acme.openai.azure.com/openai/v1/chat/completions');
		// No model named yet: no empty table, a line saying where its rows come from.
		assert.equal(await page.isVisible('#model-settings'), false);
		assert.equal(await page.isVisible('.model-settings-empty'), true);
		await page.fill('#allowed-models', 'gpt-4o, prod-reasoner');
		const reasoner = page.locator('.model-row[data-model="prod-reasoner"]');
		await reasoner.waitFor();
		assert.equal(await page.isVisible('.model-settings-empty'), false);
		assert.deepEqual(
			await page
				.locator('.model-row')
				.evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { model: string } }).dataset.model)),
			['gpt-4o', 'prod-reasoner'],
		);
		await reasoner.locator('.model-displayName').fill('Reasoner (Acme)');
		await reasoner.locator('.model-contextWindow').fill('200000');
		await reasoner.locator('.model-maxOutputTokens').fill('32000');
		await reasoner.locator('.model-reasoning').check();
		await reasoner.locator('.model-reasoningEffort').selectOption('high');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.schemaVersion, 1, 'this member sends no schema header: it gets schema 1, without the settings');
		const admin = await service.signIn(ADMIN.email);
		const saved = await jsonOf(
			await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin.access_token, { 'org-policy-schema': '2' }) }),
		);
		assert.deepEqual(saved.policy.provider.models.settings, {
			'prod-reasoner': {
				displayName: 'Reasoner (Acme)',
				contextWindow: 200000,
				maxOutputTokens: 32000,
				toolCalling: true,
				imageInput: false,
				reasoning: true,
				pinned: { reasoning_effort: 'high' },
				forbidden: [],
			},
		});

		await page.reload();
		const again = page.locator('.model-row[data-model="prod-reasoner"]');
		assert.equal(await again.locator('.model-displayName').inputValue(), 'Reasoner (Acme)');
		assert.equal(await again.locator('.model-contextWindow').inputValue(), '200000');
		assert.equal(await again.locator('.model-reasoning').isChecked(), true);
		assert.equal(await again.locator('.model-reasoningEffort').inputValue(), 'high');
		await again.locator('.model-contextWindow').fill('100');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(
			await again.locator('[data-error-for="provider.models.settings.prod-reasoner.contextWindow"]').textContent(),
			'must be at least 1024 tokens',
		);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-model-settings.png'), fullPage: true });
	});

	it('chooses the API and the reasoning effort per model: a codex model through the Responses API, shown in the request URL', async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'https://acme.openai.azure.com/openai/v1');
		await page.fill('#allowed-models', 'gpt-5.2-codex, gpt-4o');
		const codex = page.locator('.model-row[data-model="gpt-5.2-codex"]');
		await codex.waitFor();
		assert.equal(await page.textContent('#request-url'), 'https://acme.openai.azure.com/openai/v1/chat/completions');
		// A summary is for reasoning models on the Responses API: the choice opens once both are set.
		assert.equal(await codex.locator('.model-reasoningSummary').isDisabled(), true);
		await codex.locator('.model-api').selectOption('responses');
		assert.equal(await codex.locator('.model-reasoningSummary').isDisabled(), true);
		await codex.locator('.model-reasoning').check();
		assert.equal(await codex.locator('.model-reasoningSummary').isDisabled(), false);
		await codex.locator('.model-reasoningSummary').selectOption('detailed');
		assert.deepEqual(
			await codex.locator('.model-reasoningEffort option').evaluateAll((options) => options.map((option) => option.textContent)),
			['default', 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
		);
		await codex.locator('.model-reasoningEffort').selectOption('xhigh');
		assert.equal(await page.textContent('#request-url'), 'https://acme.openai.azure.com/openai/v1/responses');
		await codex.locator('.model-maxOutputTokens').fill('0');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(
			await codex.locator('[data-error-for="provider.models.settings.gpt-5.2-codex.maxOutputTokens"]').textContent(),
			'must be at least 1 token',
		);
		await codex.locator('.model-maxOutputTokens').fill('');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const admin = await service.signIn(ADMIN.email);
		const saved = await jsonOf(
			await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin.access_token, { 'org-policy-schema': '3' }) }),
		);
		assert.deepEqual(saved.policy.provider.models.settings['gpt-5.2-codex'], {
			toolCalling: true,
			imageInput: false,
			reasoning: true,
			api: 'responses',
			reasoningSummary: 'detailed',
			pinned: { reasoning_effort: 'xhigh' },
			forbidden: [],
		});
		await page.reload();
		assert.equal(await page.locator('.model-row[data-model="gpt-5.2-codex"] .model-api').inputValue(), 'responses');
		assert.equal(await page.locator('.model-row[data-model="gpt-5.2-codex"] .model-reasoningSummary').inputValue(), 'detailed');
		// A model typed out of the list and back keeps its settings (a typo fixed mid-edit).
		await page.fill('#allowed-models', 'gpt-4o');
		await page.locator('.model-row[data-model="gpt-5.2-codex"]').waitFor({ state: 'detached' });
		await page.fill('#allowed-models', 'gpt-5.2-codex, gpt-4o');
		assert.equal(await page.locator('.model-row[data-model="gpt-5.2-codex"] .model-api').inputValue(), 'responses');
		assert.equal(await page.locator('.model-row[data-model="gpt-5.2-codex"] .model-reasoningEffort').inputValue(), 'xhigh');
		// Back on Chat Completions the summary is off (not sent), and the service would refuse one there.
		const again = page.locator('.model-row[data-model="gpt-5.2-codex"]');
		await again.locator('.model-api').selectOption('chat-completions');
		assert.equal(await again.locator('.model-reasoningSummary').isDisabled(), true);
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const current = await service.policies.current('acme');
		assert.equal(current?.signed.policy.provider?.models?.settings?.['gpt-5.2-codex']?.reasoningSummary, undefined);
		assert.equal(current?.signed.policy.provider?.models?.settings?.['gpt-5.2-codex']?.reasoning, true);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-model-api.png'), fullPage: true });
	});

	it('sets organization tokens: members enter no key, a wrong lifetime is named beside its field, and the issuer and its keys are shown', async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'https://gateway.acme.example/v1');
		assert.equal(await page.isVisible('#organization-token-panel'), false);
		await page.check('#organization-token');
		assert.equal(await page.isChecked('#api-key-required'), false, 'no member key while the organization token is on');
		assert.equal(await page.isDisabled('#api-key-required'), true);
		assert.match((await page.textContent('#organization-token-panel'))!, new RegExp(`${service.url}/\\.well-known/jwks\\.json`));
		await page.fill('#token-audience', 'https://gateway.acme.example');
		await page.fill('#token-lifetime', '0');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(await page.textContent('[data-error-for="provider.organizationToken.lifetimeMinutes"]'), 'must be at least 1 minute');
		assert.match((await page.textContent('#status'))!, /Lifetime \(minutes\): must be at least 1 minute/);
		await page.fill('#token-lifetime', '5');
		await page.fill('#token-header', 'X-Org-Token');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.deepEqual(policy.provider?.organizationToken, {
			audience: 'https://gateway.acme.example',
			lifetimeMinutes: 5,
			header: 'X-Org-Token',
		});
		assert.equal(policy.provider?.apiKeyRequired, false);

		await page.reload();
		assert.equal(await page.isChecked('#organization-token'), true);
		assert.equal(await page.inputValue('#token-audience'), 'https://gateway.acme.example');
		assert.equal(await page.inputValue('#token-lifetime'), '5');
		assert.equal(await page.inputValue('#token-header'), 'X-Org-Token');
		assert.equal(await page.isDisabled('#api-key-required'), true);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('#organization-token-panel').screenshot({ path: join(ARTIFACTS, 'console-organization-token.png') });
	});

	it('keeps the group overlays (set by the API or a policy file) when the page saves the rest', async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const overlays = [{ group: 'Research', models: { allowed: ['o3'] } }];
		const saved = await putPolicy(
			service.url,
			admin,
			{ ...validSettings.plainCompatible, provider: { ...validSettings.plainCompatible.provider, apiKeyRequired: false }, overlays },
			'"1"',
		);
		assert.equal(saved.status, 200);
		await page.reload();
		await page.fill('#admin-contact', 'ai-platform@acme.example');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const current = await service.policies.current('acme');
		assert.equal(current?.revision, 3);
		assert.deepEqual(current?.signed.policy.overlays, overlays);
		assert.equal(current?.signed.policy.organization.adminContact, 'ai-platform@acme.example');
	});

	it('keeps the model settings its table has no control for (set by the API or a policy file), lists them, and saves the rest', async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const settings = {
			'gpt-5': { reasoning: true, api: 'responses', store: true, reasoningEfforts: ['low', 'medium'], tokenizer: 'o200k_base' },
			'gpt-4o': { pinned: { temperature: 0.2, seed: 7, verbosity: 'low', reasoning_effort: 'low' }, forbidden: ['top_p'] },
		};
		const provider = { ...validSettings.plainCompatible.provider, models: { allowed: ['gpt-5', 'gpt-4o'], settings } };
		assert.equal((await putPolicy(service.url, admin, { ...validSettings.plainCompatible, provider }, '"1"')).status, 200);
		await page.reload();
		const row = (model: string) => page.locator(`.model-row[data-model="${model}"]`);
		const listed = (model: string) => row(model).locator('.kept-words').allTextContents();
		const removeButton = (model: string, words: string) => row(model).locator('.kept-setting', { hasText: words }).locator('.remove-kept');
		assert.deepEqual(await listed('gpt-5'), [
			'efforts members may pick: low, medium',
			'stored by the service: on',
			'tokenizer: o200k_base',
		]);
		assert.deepEqual(await listed('gpt-4o'), [
			'parameters removed: top_p',
			'seed pinned at 7',
			'temperature pinned at 0.2',
			'verbosity pinned at low',
		]);
		// Remove strikes a setting out and Keep takes that back: with nothing else changed, nothing is to save.
		const verbosity = removeButton('gpt-4o', 'verbosity pinned at low');
		await verbosity.click();
		assert.equal(await verbosity.getAttribute('aria-label'), 'Keep verbosity pinned at low (gpt-4o)');
		assert.equal(await page.isEnabled('#save'), true);
		await verbosity.click();
		assert.equal(await verbosity.textContent(), 'Remove');
		assert.equal(await page.isDisabled('#save'), true);
		// The admin changes what the table shows and removes two kept settings; the rest survives the save.
		const gpt4o = row('gpt-4o');
		await gpt4o.locator('.model-reasoningEffort').selectOption('');
		await gpt4o.locator('.model-displayName').fill('GPT-4o (Acme)');
		await removeButton('gpt-4o', 'seed pinned at 7').click();
		await removeButton('gpt-5', 'tokenizer').click();
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const afterSave = ['gpt-5', 'gpt-4o'].map((model) => listed(model));
		const keptAfterSave = {
			'gpt-5': ['efforts members may pick: low, medium', 'stored by the service: on'],
			'gpt-4o': ['parameters removed: top_p', 'temperature pinned at 0.2', 'verbosity pinned at low'],
		};
		assert.deepEqual(await Promise.all(afterSave), Object.values(keptAfterSave));
		assert.equal(await page.isDisabled('#save'), true);
		const current = await service.policies.current('acme');
		assert.equal(current?.revision, 3);
		const { tokenizer: _removed, ...gpt5 } = settings['gpt-5'];
		assert.deepEqual(current?.signed.policy.provider?.models?.settings, {
			'gpt-5': { ...gpt5, toolCalling: true, imageInput: false, pinned: {}, forbidden: [] },
			'gpt-4o': {
				displayName: 'GPT-4o (Acme)',
				pinned: { temperature: 0.2, verbosity: 'low' },
				forbidden: ['top_p'],
				toolCalling: true,
				imageInput: false,
				reasoning: false,
			},
		});
		// Pinning an effort where the policy file lets members pick: the kept setting the service names is on its model's row.
		await page.reload();
		assert.deepEqual(await Promise.all(['gpt-5', 'gpt-4o'].map((model) => listed(model))), Object.values(keptAfterSave));
		await page.locator('.model-row[data-model="gpt-5"] .model-reasoningEffort').selectOption('high');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(
			await page.locator('[data-error-for="provider.models.settings.gpt-5.reasoningEfforts"]').textContent(),
			'pin one effort or allow a set members pick from, not both',
		);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('.model-row[data-model="gpt-5"] .model-kept').scrollIntoViewIfNeeded();
		await page.locator('.table-scroll').screenshot({ path: join(ARTIFACTS, 'console-model-settings-kept.png') });
	});

	it('asks for deployment names on the Azure deployments API, and says why when they are missing', async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'https://acme.openai.azure.com');
		assert.equal(await page.textContent('label[for="allowed-models"]'), 'Allowed models');
		await page.check('#azure');
		await page.fill('#api-version', '2024-06-01');
		assert.equal(await page.textContent('label[for="allowed-models"]'), 'Deployment names');
		assert.equal(await page.textContent('label[for="default-model"]'), 'Default deployment');
		assert.equal(
			await page.textContent('#request-url'),
			'https://acme.openai.azure.com/openai/deployments/{deployment}/chat/completions?api-version=2024-06-01',
		);
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.match(
			(await page.textContent('[data-error-for="provider.models.allowed"]'))!,
			/list the deployment names .* Azure's model list names base models/,
		);
		assert.match(
			(await page.textContent('#status'))!,
			/^Not saved: 1 field needs fixing\. Deployment names: list the deployment names/,
			'errors name the field by its label',
		);
		assert.equal((await currentPolicy()).policy.revision, 1, 'nothing was saved');
		await page.fill('#allowed-models', 'gpt-4o-prod');
		await page.fill('#default-model', 'gpt-5');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(
			await page.textContent('#status'),
			'Not saved: 1 field needs fixing. Default deployment: gpt-5 is not in Deployment names',
		);
		await page.fill('#allowed-models', '');
		await page.fill('#default-model', '');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-azure-deployment-names.png'), fullPage: true });
		// The v1 API takes model names: the labels say so again.
		await page.fill('#api-version', '');
		await page.fill('#base-url', 'https://acme.openai.azure.com/openai/v1');
		assert.equal(await page.textContent('label[for="allowed-models"]'), 'Allowed models');
	});

	it('takes a plain-HTTP internal endpoint only behind the explicit choice, with its warning (#14 item 9)', async () => {
		await page.check('#enabled');
		assert.equal(await page.isVisible('#plain-http-choice'), false, 'not offered for https');
		await page.fill('#base-url', 'http://vllm.internal:8000/v1');
		assert.equal(await page.isVisible('#plain-http-choice'), true);
		assert.match((await page.textContent('#plain-http-choice'))!, /Allow plain HTTP — keys and prompts cross the network unencrypted/);
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('[data-error-for="provider.baseUrl"]'))!, /turn on "Allow plain HTTP"/);
		assert.equal((await currentPolicy()).policy.revision, 1, 'refused without the choice');

		await page.check('#allow-plain-http');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.provider?.baseUrl, 'http://vllm.internal:8000/v1');
		assert.equal(policy.provider?.allowPlainHttp, true);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-plain-http.png'), fullPage: true });
		await page.reload();
		assert.equal(await page.isChecked('#allow-plain-http'), true, 'the choice is shown again after a reload');
		await page.fill('#base-url', 'https://llm.acme.example/v1');
		assert.equal(await page.isVisible('#plain-http-choice'), false);
		await page.fill('#base-url', 'http://vllm.internal:8000/v1');
		assert.equal(await page.isChecked('#allow-plain-http'), false, 'a hidden choice does not stay ticked');
	});

	it('after a restored backup, says a member holds a newer revision and saves the settings unchanged past it', async () => {
		const dev = await service.store.findUserByEmail('acme', 'dev@acme.example');
		// What the service notes when a member's VS Code reconnects naming revision 7 (test/server/backup-restore.test.ts).
		await service.store.noteRevisionHeld('acme', dev!.id, 7, Date.now());
		await page.reload();
		assert.match(
			(await page.textContent('#held-ahead')) ?? '',
			/^The VS Code of dev@acme\.example holds revision 7 \(said .+\), newer than the newest saved here \(1\): this database was probably restored from an earlier backup\./,
		);
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-settings-restored-backup.png') });
		assert.equal(await page.isEnabled('#save'), true, 'nothing changed, and Save is what moves members on');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		assert.equal(await page.textContent('#status'), 'Saved revision 8. Members receive it now.');
		assert.equal(await page.locator('#held-ahead').count(), 0);
		assert.equal(await page.isEnabled('#save'), false, 'and Save waits for a change again');
		assert.equal((await currentPolicy()).policy.revision, 8);
	});

	it('shows inline errors for a plain-http base URL and a header value with a line break, and saves nothing', async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'http://example.com');
		await addHeader('X-Foo', 'first line\nInjected: yes');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('[data-error-for="provider.baseUrl"]'))!, /must use https:/);
		assert.match((await page.locator('.header-row').last().locator('.field-error').textContent())!, /value contains a line break/);
		assert.equal(await page.inputValue('#base-url'), 'http://example.com', 'what the admin typed stays, to be fixed');
		assert.equal((await currentPolicy()).policy.revision, 1, 'nothing was saved');
		// Focus goes to the first field to fix; each wrong field is described by its own error.
		assert.equal(await page.evaluate('document.activeElement.id'), 'base-url');
		const describedBy = (selector: string) =>
			page.evaluate(
				`document.getElementById(document.querySelector(${JSON.stringify(selector)}).getAttribute('aria-describedby')).textContent`,
			);
		assert.match(String(await describedBy('#base-url')), /must use https:/);
		assert.match(String(await describedBy('.header-row:last-of-type .header-value')), /value contains a line break/);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-settings-errors.png'), fullPage: true });

		await page.fill('#base-url', 'https://llm.acme.example/v1');
		await page.locator('.header-row').last().locator('.header-value').fill('one line');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		assert.equal((await currentPolicy()).policy.revision, 2);
		assert.equal(await page.locator('[aria-invalid], #base-url[aria-describedby]').count(), 0, 'no field is marked wrong after a save');

		// A saved header's row, as the page renders it after a reload: its value is the field at fault.
		await page.reload();
		await page.locator('.header-row').last().locator('.header-value').fill('again\nInjected: yes');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.equal(await page.evaluate("document.activeElement.classList.contains('header-value')"), true);
		assert.match(String(await describedBy('.header-row:last-of-type .header-value')), /value contains a line break/);
	});

	it('says who changed the policy when another admin saved first', async () => {
		const other = await service.signIn(ADMIN.email);
		const response = await fetch(`${service.url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: bearer(other.access_token, { 'content-type': 'application/json', 'if-match': '"1"' }),
			body: JSON.stringify({ enabled: false, adminContact: 'someone-else@acme.example' }),
		});
		assert.equal(response.status, 200);
		await page.fill('#admin-contact', 'me@acme.example');
		await page.click('#save');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('#status'))!, /Changed by admin@acme\.example at .* \(revision 2\) — reload/);
	});

	it('shows the revision history and the members with their sync state', async () => {
		await fetch(`${service.url}/api/v1/policy/applied`, {
			method: 'POST',
			headers: bearer(member.access_token, { 'content-type': 'application/json' }),
			body: JSON.stringify({ revision: 1 }),
		});
		await page.click('#add-header');
		await page.fill('#base-url', 'https://llm.acme.example');
		await page.locator('.header-row').last().locator('.header-name').fill('X-Team');
		await page.locator('.header-row').last().locator('.header-value').fill('platform-secret');
		await page.check('#enabled');
		await page.click('#save');
		await page.waitForSelector('#status.success');

		await page.click('a[href="/console/revisions"]');
		const history = await page.textContent('#revisions');
		assert.match(history!, /Base URL: https:\/\/llm\.acme\.example/);
		assert.match(history!, /Header X-Team: ••••••/);
		assert.doesNotMatch(history!, /provider\./, "the console's labels, not the document's paths");
		assert.ok(!history!.includes('platform-secret'));

		await page.click('a[href="/console/members"]');
		const row = page.locator('tr', { hasText: 'dev@acme.example' });
		assert.equal(await row.locator('.badge').textContent(), 'behind');
		// Made an admin in place, after asking; a refusal (here: none) would put the choice back.
		page.once('dialog', (dialog) => void dialog.accept());
		await row.locator('.member-role').selectOption('admin');
		await page.waitForSelector('#status.success:has-text("dev@acme.example is now an admin")');
		assert.equal((await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(member.access_token) })).status, 200);
		page.once('dialog', (dialog) => void dialog.dismiss());
		await row.locator('.member-role').selectOption('member');
		assert.equal(await row.locator('.member-role').inputValue(), 'admin', 'dismissed: the choice goes back');
		assert.equal(await page.locator('tr', { hasText: 'admin@acme.example' }).locator('.member-role').count(), 0, 'not on their own row');
		// Signed out everywhere first (a lost laptop): the sign-in ends, the member stays.
		let asked = '';
		page.once('dialog', (dialog) => {
			asked = dialog.message();
			void dialog.accept();
		});
		await row.locator('.sign-out-member').click();
		await page.waitForSelector('#status.success:has-text("Signed dev@acme.example out everywhere")');
		assert.match(asked, /^Sign dev@acme\.example out everywhere\? Every VS Code and console sign-in of theirs ends now/);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
		assert.equal(await row.count(), 1, 'still a member');
		const syncChoices = () => page.locator('#member-search select[name="sync"] option').allTextContents();
		const choicesBefore = await syncChoices();
		page.once('dialog', (dialog) => void dialog.accept());
		await row.locator('.remove-member').click();
		await page.waitForSelector('#status.success:has-text("Removed dev@acme.example")');
		assert.equal(await row.count(), 0);
		// The sync filter counts one member fewer, as a reload does.
		const choicesAfter = await syncChoices();
		assert.notDeepEqual(choicesAfter, choicesBefore);
		await page.reload();
		assert.deepEqual(await syncChoices(), choicesAfter);
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–1 of 1 member.', 'the admin alone now');
	});

	it('invites without a reload: says nothing was e-mailed, copies the link, shows the expiry in local time, clears the form, lists it (#14 item 7)', async () => {
		// An admin in Tokyo, with clipboard access granted as a browser would after a click.
		const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo' });
		await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url });
		const tokyo = await context.newPage();
		try {
			await tokyo.goto(`${service.url}/console`);
			await tokyo.fill('#email', ADMIN.email);
			await tokyo.fill('#password', ADMIN.password);
			await tokyo.click('#sign-in');
			await tokyo.waitForURL(/\/console\/settings$/);
			await tokyo.click('a[href="/console/members"]');
			assert.equal(await tokyo.isVisible('#no-invitations'), true);
			await tokyo.fill('#member-email', 'new@acme.example');
			await tokyo.selectOption('#member-role', 'admin');
			await tokyo.click('#add-member button[type=submit]');
			await tokyo.waitForSelector('#invite-result:not([hidden])');

			const link = await tokyo.inputValue('#invite-link');
			assert.match(link, new RegExp(`^${service.url}/invite/[A-Za-z0-9_-]+$`));
			const [pending] = (
				await jsonOf(
					await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer((await service.signIn(ADMIN.email)).access_token) }),
				)
			).invitations;
			const local = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(
				new Date(pending.expiresAt),
			);
			assert.equal(
				await tokyo.textContent('#invite-note'),
				`Nothing was e-mailed. Send this one-time link to new@acme.example yourself; it works once, until ${local}.`,
			);
			assert.equal(await tokyo.inputValue('#member-email'), '', 'the form is cleared');
			assert.equal(
				await tokyo.textContent('#invitations li:last-child'),
				`new@acme.example (admin), expires ${local} Withdraw`,
				'listed without a reload, in local time',
			);
			assert.equal(await tokyo.isVisible('#no-invitations'), false);

			await tokyo.click('#copy-invite-link');
			await tokyo.waitForSelector('#status.success');
			assert.equal(await tokyo.evaluate('navigator.clipboard.readText()'), link);
			mkdirSync(ARTIFACTS, { recursive: true });
			await tokyo.screenshot({ path: join(ARTIFACTS, 'console-invitation.png'), fullPage: true });

			await tokyo.reload();
			assert.equal(
				await tokyo.textContent('#invitations li:last-child'),
				`new@acme.example (admin), expires ${local} Withdraw`,
				'the same after a reload',
			);

			// Invited again (as a member this time): the new link replaces the first, in the list too.
			await tokyo.fill('#member-email', 'new@acme.example');
			await tokyo.click('#add-member button[type=submit]');
			await tokyo.waitForSelector('#status.success:has-text("Invited new@acme.example")');
			assert.deepEqual(await tokyo.locator('#invitations li .invitation-role').allTextContents(), ['member']);
			// Withdrawn after asking: the item goes, and its link opens nothing.
			let asked = '';
			tokyo.once('dialog', (dialog) => {
				asked = dialog.message();
				void dialog.accept();
			});
			await tokyo.click('#invitations li .withdraw-invitation');
			await tokyo.waitForSelector('#status.success:has-text("Withdrew the invitation to new@acme.example")');
			assert.equal(asked, 'Withdraw the invitation to new@acme.example? Its link stops working now.');
			assert.equal(await tokyo.locator('#invitations li').count(), 0);
			assert.equal(await tokyo.isVisible('#no-invitations'), true);
			const admin = (await service.signIn(ADMIN.email)).access_token;
			assert.deepEqual((await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }))).invitations, []);
		} finally {
			await context.close();
		}
	});

	it('masks only the header values marked secret; the others stay readable here and in the history (#14 item 8)', async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'https://llm.acme.example/v1');
		await addHeader('X-Team', 'platform');
		await page.locator('.header-row').last().locator('.header-secret').uncheck();
		await addHeader('X-Gateway-Key', 'gw-secret-123');
		assert.equal(await page.locator('.header-row').last().locator('.header-secret').isChecked(), true, 'secret by default');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.deepEqual(policy.provider?.headers, { 'X-Gateway-Key': 'gw-secret-123', 'X-Team': 'platform' }, 'members get every value');

		await page.reload();
		const value = (name: string) =>
			page.locator('.header-row', { has: page.locator(`.header-name[value="${name}"]`) }).locator('.header-value');
		assert.equal(await value('X-Team').inputValue(), 'platform');
		assert.equal(await value('X-Gateway-Key').inputValue(), '');
		assert.match((await value('X-Gateway-Key').getAttribute('placeholder'))!, /saved — type to replace/);
		assert.ok(!(await page.content()).includes('gw-secret-123'), 'the secret value never reaches the page');
		await page.click('a[href="/console/revisions"]');
		const history = (await page.textContent('#revisions'))!;
		assert.match(history, /Header X-Team: platform/);
		assert.match(history, /Header X-Gateway-Key: ••••••/);
		assert.ok(!history.includes('gw-secret-123'));
	});

	it('restores an earlier revision from the history, as a new revision (#14 item 8)', async () => {
		const admin = await service.signIn(ADMIN.email);
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		assert.equal((await putPolicy(service.url, admin.access_token, { enabled: false }, '"2"')).status, 200);
		await page.goto(`${service.url}/console/revisions`);
		assert.equal(await page.textContent('#revisions tr[data-revision="3"] td:last-child'), 'current');
		let asked = '';
		page.once('dialog', (dialog) => {
			asked = dialog.message();
			void dialog.accept();
		});
		await page.click('#revisions tr[data-revision="2"] .restore-revision');
		await page.waitForSelector('#status.success');
		assert.equal(await page.textContent('#status'), 'Restored revision 2 as revision 4. Members receive it now.');
		assert.equal(
			asked,
			"Save revision 2's settings as a new revision? It turns the policy on · endpoint → https://llm.acme.example/v1. Members receive it at once.",
			'the confirmation says what restoring does, in the console words',
		);
		const { policy } = verifySignedPolicy(await currentPolicy(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.revision, 4);
		assert.equal(policy.enabled, true);
		assert.equal(policy.provider?.baseUrl, validSettings.plainCompatible.provider.baseUrl);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-revision-restored.png'), fullPage: true });
	});

	it("says what each revision changed in the console's words, grouped by model, with no internal paths (#28 item 5)", async () => {
		const admin = await service.signIn(ADMIN.email);
		const withModels = (models: Record<string, unknown>) => ({
			...validSettings.plainCompatible,
			provider: { ...validSettings.plainCompatible.provider, models },
		});
		const first = withModels({ allowed: ['gpt-4o', 'o3'], default: 'o3', settings: { o3: { displayName: 'Reasoner', reasoning: true } } });
		assert.equal((await putPolicy(service.url, admin.access_token, first, '"1"')).status, 200);
		const swapped = withModels({
			allowed: ['gpt-4o', 'gpt-5.2-codex'],
			default: 'gpt-5.2-codex',
			settings: { 'gpt-5.2-codex': { api: 'responses', reasoning: true, pinned: { reasoning_effort: 'xhigh' } } },
		});
		assert.equal((await putPolicy(service.url, admin.access_token, swapped, '"2"')).status, 200);
		await page.goto(`${service.url}/console/revisions`);
		const changes = page.locator('#revisions tr[data-revision="3"] ul.changes li');
		assert.deepEqual(await changes.allTextContents(), [
			'Allowed models: gpt-4o, o3 → gpt-4o, gpt-5.2-codex',
			'Default model: o3 → gpt-5.2-codex',
			'Settings of gpt-5.2-codex: API responses, reasoning effort xhigh, reasoning model on',
		]);
		const table = (await page.textContent('#revisions')) ?? '';
		assert.doesNotMatch(table, /provider\.|readableHeaders|\[\] →/, 'no internal paths or empty defaults');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('#revisions').screenshot({ path: join(ARTIFACTS, 'console-revision-diff.png') });
	});

	it('joins the invitation to the extension: an Open in VS Code link and the address to copy; the device page names the address (#14 item 3)', async () => {
		const admin = await service.signIn(ADMIN.email);
		const invited = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/members`, {
				method: 'POST',
				headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
				body: JSON.stringify({ email: 'newbie@acme.example', role: 'member' }),
			}),
		);
		const context = await browser.newContext();
		await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url });
		const newcomer = await context.newPage();
		try {
			await newcomer.goto(invited.invitation.link);
			await newcomer.fill('#password', 'a long and unusual passphrase 42');
			await newcomer.click('#accept');
			await newcomer.waitForSelector('#open-in-vscode');
			const href = (await newcomer.getAttribute('#open-in-vscode', 'href'))!;
			const link = new URL(href);
			assert.equal(`${link.protocol}//${link.host}${link.pathname}`, 'vscode://org-provider-policy.org-provider-policy/sign-in');
			assert.equal(link.searchParams.get('server'), service.url);
			assert.equal(link.searchParams.get('organization'), 'acme');
			assert.equal(await newcomer.inputValue('#server-url'), service.url);
			// Not installed yet: the page says where the extension comes from (#28 item 2).
			assert.equal(await newcomer.getAttribute('#install-extension', 'href'), 'vscode:extension/org-provider-policy.org-provider-policy');
			await newcomer.click('#copy-server-url');
			await newcomer.waitForSelector('#status.success');
			assert.equal(await newcomer.evaluate('navigator.clipboard.readText()'), service.url);
			mkdirSync(ARTIFACTS, { recursive: true });
			await newcomer.screenshot({ path: join(ARTIFACTS, 'invitation-open-in-vscode.png'), fullPage: true });

			await newcomer.goto(`${service.url}/device`);
			assert.match(
				(await newcomer.textContent('#server-address'))!,
				new RegExp(`Policy service: ${service.url.replace(/[.:/]/g, '\\$&')}`),
			);
		} finally {
			await context.close();
		}
	});

	it('serves a small console script: nothing of the schema library reaches the browser', async () => {
		const script = await fetch(`${service.url}/console/assets/console.js`);
		assert.equal(script.status, 200);
		const size = (await script.arrayBuffer()).byteLength;
		assert.ok(size < 100_000, `console.js is ${size} bytes: something pulled a large module (zod?) into the browser bundle`);
	});

	it("shows the extension's icon in the browser tab (the page's icon is served, not a 404)", async () => {
		const href = await page.getAttribute('link[rel="icon"]', 'href');
		const icon = await fetch(new URL(href!, service.url));
		assert.equal(icon.status, 200);
		assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
		assert.equal(await icon.text(), readFileSync(join(__dirname, '..', '..', 'media', 'icon.svg'), 'utf8'));
	});

	it('refuses console writes without the CSRF token and sets strict cookies and CSP', async () => {
		const cookies = await page.context().cookies();
		const session = cookies.find((cookie) => cookie.name === 'opp_session')!;
		assert.equal(session.httpOnly, true);
		assert.equal(session.sameSite, 'Strict');
		const status = await page.evaluate(
			async () =>
				(
					await fetch('/api/v1/admin/policy', {
						method: 'PUT',
						headers: { 'content-type': 'application/json', 'if-match': '"1"' },
						body: '{"enabled":false}',
					})
				).status,
		);
		assert.equal(status, 403);
		const response = await fetch(`${service.url}/console/login`);
		assert.match(response.headers.get('content-security-policy')!, /default-src 'none';\s*script-src 'self'/);
	});
});
