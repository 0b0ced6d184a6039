import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, putPolicy, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/** Group overlays in the console: added, ordered, refused with the field named, saved, and a member's policy previewed. */
describe('group overlays in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;

	before(async () => {
		browser = await launchChromium();
	});
	after(async () => browser?.close());

	beforeEach(async () => {
		service = await startService();
		await service.addUser('both@acme.example', 'member');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const settings = {
			...validSettings.plainCompatible,
			provider: {
				...validSettings.plainCompatible.provider,
				headers: { 'X-Tenant': 'acme-secret-tenant' },
				models: { allowed: ['gpt-4o', 'gpt-4o-mini'] },
			},
		};
		assert.equal((await putPolicy(service.url, admin, settings, '"1"')).status, 200);
		for (const displayName of ['Research', 'Contractors']) {
			const made = await fetch(`${service.url}/api/v1/admin/groups`, {
				method: 'POST',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify({ displayName, members: ['both@acme.example'] }),
			});
			assert.equal(made.status, 201);
		}
		page = await browser.newPage();
		await signInToConsole(page, service.url);
		await page.goto(`${service.url}/console/groups`);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});

	it('adds, orders and saves overlays, names a wrong default beside its field, and previews a member in both groups', async () => {
		assert.equal(await page.isVisible('#no-overlays'), true);
		await page.selectOption('#overlay-group', 'Research');
		await page.click('#add-overlay');
		await page.locator('.overlay-row').last().locator('.overlay-allowed').fill('o3, gpt-4o');
		await page.locator('.overlay-row').last().locator('.overlay-default').fill('o3');
		await page.selectOption('#overlay-group', 'Contractors');
		await page.click('#add-overlay');
		await page.locator('.overlay-row').last().locator('.overlay-allowed').fill('gpt-4o-mini');
		await page.locator('.overlay-row').last().locator('.overlay-default').fill('gpt-4o');
		await page.click('#save-overlays');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('#status'))!, /Contractors: gpt-4o is not in models\.allowed/);
		assert.match(
			(await page.locator('.overlay-row').last().locator('.field-error').last().textContent())!,
			/gpt-4o is not in models\.allowed/,
		);

		await page.locator('.overlay-row').last().locator('.overlay-default').fill('');
		// Contractors first, so Research (applied later) wins for a member of both.
		await page.locator('.overlay-row').last().locator('.overlay-up').click();
		await page.click('#save-overlays');
		await page.waitForURL(/saved=overlays/);
		await page.waitForSelector('#status.success');
		assert.deepEqual(await page.locator('.overlay-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-group'))), [
			'Contractors',
			'Research',
		]);
		const current = await service.policies.current('acme');
		assert.deepEqual(current?.signed.policy.overlays, [
			{ group: 'Contractors', models: { allowed: ['gpt-4o-mini'] } },
			{ group: 'Research', models: { allowed: ['o3', 'gpt-4o'], default: 'o3' } },
		]);
		assert.equal(current?.signed.policy.provider?.headers['X-Tenant'], 'acme-secret-tenant', 'the secret header value was kept');

		await page.fill('#preview-email', 'both@acme.example');
		await page.click('#preview-member button');
		await page.waitForSelector('#preview-result:not([hidden])');
		assert.match(
			(await page.textContent('#preview-result'))!,
			/Overlays applied, in order: Contractors, Research\..*provider\.models\.allowed: \["gpt-4o","gpt-4o-mini"\] → \["o3","gpt-4o"\]/,
		);
		assert.ok(!(await page.content()).includes('acme-secret-tenant'), 'no secret header value in the page');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('#overlays-card').screenshot({ path: join(ARTIFACTS, 'console-overlays.png') });
	});
});
