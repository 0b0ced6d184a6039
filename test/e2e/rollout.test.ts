import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService, createGroup } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/** Staged rollouts in the console: a save for a canary, the comparison, Promote and Roll back. */
describe('staged rollouts in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;
	let member: string;

	before(async () => {
		browser = await launchChromium();
	});
	after(async () => browser?.close());

	beforeEach(async () => {
		service = await startService();
		await service.addUser('pilot@acme.example', 'member');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		await createGroup(service.url, admin, 'Pilots', ['pilot@acme.example']);
		member = (await service.signIn('pilot@acme.example')).access_token;
		page = await browser.newPage();
		await signInToConsole(page, service.url);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});

	const served = async () =>
		JSON.parse(await (await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member, { 'org-policy-schema': '3' }) })).text()).policy
			.revision as number;

	it('saves for a group first, compares the canary with everyone else, and promotes it', async () => {
		await page.fill('#base-url', 'https://llm-next.acme.example/v1');
		await page.selectOption('#rollout', 'group:Pilots');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		assert.match(
			(await page.textContent('#status'))!,
			/Saved revision 3 for its canary \(the group Pilots\); everyone else keeps revision 2 until you promote it on Revisions\./,
		);
		assert.equal(await served(), 3, 'the pilot is in the canary');

		await page.goto(`${service.url}/console/revisions`);
		assert.match((await page.textContent('#rollout-card h2'))!, /Revision 3 is rolling out to the group Pilots/);
		const rows = await page.locator('#rollout-compare tbody tr').allTextContents();
		assert.match(rows[0]!, /Canary\s*3\s*0 of 1/);
		assert.match(rows[1]!, /Everyone else\s*2\s*0 of 1/, 'the admin is the one member outside the group');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('#rollout-card').screenshot({ path: join(ARTIFACTS, 'console-rollout.png') });

		page.once('dialog', (dialog) => void dialog.accept());
		await page.click('#promote-rollout');
		await page.waitForSelector('#status.success');
		assert.match((await page.textContent('#status'))!, /Revision 3 promoted: every member receives it now\./);
		assert.equal(await page.locator('#rollout-card').count(), 0);
		assert.equal((await service.policies.current('acme'))?.revision, 3);
	});

	it('rolls a 10% canary back: the revision before is saved again as a new one', async () => {
		await page.fill('#base-url', 'https://llm-next.acme.example/v1');
		await page.selectOption('#rollout', 'percent:10');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		await page.goto(`${service.url}/console/revisions`);
		assert.match((await page.textContent('#rollout-card h2'))!, /Revision 3 is rolling out to 10% of members/);
		page.once('dialog', (dialog) => void dialog.accept());
		await page.click('#rollback-rollout');
		await page.waitForSelector('#status.success');
		assert.match((await page.textContent('#status'))!, /Revision 3 rolled back: the revision before it is saved again as revision 4\./);
		await page.screenshot({ path: join(ARTIFACTS, 'console-rollout-rolled-back.png'), fullPage: true });
		const current = await service.policies.current('acme');
		assert.equal(current?.signed.policy.provider?.baseUrl, validSettings.plainCompatible.provider.baseUrl);
		assert.equal(await served(), 4);
		const admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await jsonOf(await fetch(`${service.url}/api/v1/admin/rollout`, { headers: bearer(admin) }))).error, 'not_found');
	});
});
