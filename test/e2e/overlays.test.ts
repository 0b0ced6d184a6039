import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signedInConsole } from '../support/chromium';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, putPolicy, createGroup } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/** Group overlays in the console: added, ordered, refused with the field named, saved, and a member's policy previewed. */
describe('group overlays in headless Chromium', function () {
	this.timeout(60_000);
	const ui = signedInConsole({
		startAt: '/console/groups',
		prepare: async (service) => {
			await service.addUser('both@acme.example', 'member');
			const admin = (await service.signIn(ADMIN.email)).access_token;
			const settings = {
				...validSettings.plainCompatible,
				provider: {
					...validSettings.plainCompatible.provider,
					headers: { 'X-Tenant': 'acme-secret-tenant' },
					models: { allowed: ['gpt-4o', 'gpt-4o-mini'] },
				},
				usage: { reporting: 'counts' as const },
			};
			assert.equal((await putPolicy(service.url, admin, settings, '"1"')).status, 200);
			for (const displayName of ['Research', 'Contractors']) {
				await createGroup(service.url, admin, displayName, ['both@acme.example']);
			}
		},
	});

	it('adds, orders and saves overlays, names a wrong default beside its field, keeps secret header values, and previews a member in both groups', async () => {
		const { page, service } = ui;
		assert.equal(await page.isVisible('#no-overlays'), true);
		const last = () => page.locator('.overlay-row').last();
		await page.selectOption('#overlay-group', 'Research');
		await page.click('#add-overlay');
		await last().locator('.overlay-allowed').fill('o3, gpt-4o');
		await last().locator('.overlay-default').fill('o3');
		await last().locator('.overlay-headers').fill('X-Team: research\nX-Team-Key: rk-research-secret');
		assert.equal(await last().locator('.overlay-base-url').isDisabled(), true, 'no endpoint change unless the organization allows it');
		await page.selectOption('#overlay-group', 'Contractors');
		await page.click('#add-overlay');
		await last().locator('.overlay-allowed').fill('gpt-4o-mini');
		await last().locator('.overlay-default').fill('gpt-4o');
		await last().locator('.overlay-budget-tokens').fill('100,000');
		await last().locator('.overlay-budget-enforcement').selectOption('hard');
		await page.click('#save-overlays');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('#status'))!, /Contractors: gpt-4o is not in models\.allowed/);
		assert.match((await last().locator('.field-error[data-overlay-field="default"]').textContent())!, /gpt-4o is not in models\.allowed/);
		// The wrong field has focus and is described by its error, as on the settings page.
		assert.deepEqual(
			await page.evaluate(
				"[document.activeElement.className, document.getElementById(document.activeElement.getAttribute('aria-describedby')).textContent]",
			),
			['overlay-default', 'gpt-4o is not in models.allowed'],
		);

		await last().locator('.overlay-default').fill('');
		// Contractors first, so Research (applied later) wins for a member of both.
		await last().locator('.overlay-up').click();
		await page.click('#save-overlays');
		await page.waitForURL(/saved=overlays/);
		await page.waitForSelector('#status.success');
		assert.deepEqual(await page.locator('.overlay-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-group'))), [
			'Contractors',
			'Research',
		]);
		const saved = (await service.policies.current('acme'))?.signed.policy;
		assert.deepEqual(saved?.overlays, [
			{ group: 'Contractors', models: { allowed: ['gpt-4o-mini'] }, budget: { monthlyTokens: 100_000, enforcement: 'hard' } },
			{
				group: 'Research',
				models: { allowed: ['o3', 'gpt-4o'], default: 'o3' },
				headers: { 'X-Team': 'research', 'X-Team-Key': 'rk-research-secret' },
			},
		]);
		assert.equal(saved?.provider?.headers['X-Tenant'], 'acme-secret-tenant', 'the secret header value was kept');
		assert.match(await last().locator('.overlay-headers').inputValue(), /^X-Team: ••••••\nX-Team-Key: ••••••$/);

		// The organization lets overlays change the endpoint: Research gets its own; the masked values are kept.
		await page.check('#overlays-endpoint');
		await last().locator('.overlay-base-url').fill('https://research.acme.example/v1');
		await page.click('#save-overlays');
		await page.waitForURL(/saved=overlays/);
		await page.waitForSelector('#status.success');
		const again = (await service.policies.current('acme'))?.signed.policy;
		assert.equal(again?.overlaysMayChangeEndpoint, true);
		assert.deepEqual(again?.overlays?.[1], {
			group: 'Research',
			models: { allowed: ['o3', 'gpt-4o'], default: 'o3' },
			headers: { 'X-Team': 'research', 'X-Team-Key': 'rk-research-secret' },
			baseUrl: 'https://research.acme.example/v1',
		});

		await page.fill('#preview-email', 'both@acme.example');
		await page.click('#preview-member button');
		await page.waitForSelector('#preview-result:not([hidden])');
		const preview = (await page.textContent('#preview-result'))!;
		assert.match(preview, /Overlays applied, in order: Contractors, Research\./);
		assert.match(preview, /Base URL: https:\/\/llm\.acme\.example\/v1 → https:\/\/research\.acme\.example\/v1/);
		assert.match(preview, /Allowed models: gpt-4o, gpt-4o-mini → o3, gpt-4o/);
		assert.match(preview, /Header X-Team-Key: ••••••/);
		assert.match(preview, /Monthly token budget: 100000/);
		const html = await page.content();
		for (const secret of ['acme-secret-tenant', 'rk-research-secret']) {
			assert.ok(!html.includes(secret), `no secret header value in the page (${secret})`);
		}
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('#overlays-card').screenshot({ path: join(ARTIFACTS, 'console-overlays.png') });
	});
});
