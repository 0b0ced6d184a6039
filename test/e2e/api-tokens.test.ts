import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signedInConsole } from '../support/chromium';
import { bearer } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/** The API tokens page: the token a policy pipeline runs with, made, shown once, listed and revoked in the browser. */
describe('API tokens in headless Chromium', function () {
	this.timeout(60_000);
	const ui = signedInConsole();

	const members = (token: string) => fetch(`${ui.service.url}/api/v1/admin/members`, { headers: bearer(token) });

	it('makes a token shown once, lists it with its maker, expiry and last use, and revokes it after asking', async () => {
		const { page, service } = ui;
		await page.goto(`${service.url}/console/settings`);
		await page.click('nav a[href="/console/tokens"]');
		await page.waitForURL(/\/console\/tokens$/);
		assert.equal(await page.textContent('#no-tokens'), 'No API tokens yet.');
		assert.equal(await page.inputValue('#token-expires'), '90', 'a lifetime is chosen for the admin');

		// An empty label is refused by the service too (the browser's own check is bypassed here), beside its field.
		await page.fill('#token-label', '   ');
		await page.locator('#token-label').evaluate((field) => field.removeAttribute('required'));
		await page.click('#token-create');
		await page.waitForSelector('#token-label-error:has-text("is required")');

		await page.fill('#token-label', 'policy pipeline');
		await page.selectOption('#token-expires', '30');
		await page.click('#token-create');
		const secret = await page.inputValue('#new-token-value');
		assert.match(secret, /^opp_admin_/);
		assert.equal(await page.textContent('#api-tokens tbody tr td:nth-child(1)'), 'policy pipeline');
		const byToken = `admin@acme.example (API token "policy pipeline", id ${await page.getAttribute('#api-tokens tbody tr', 'data-token-id')})`;
		assert.equal(await page.textContent('#api-tokens tbody tr td:nth-child(2)'), 'admin@acme.example');
		assert.equal(await page.textContent('#api-tokens tbody tr td:nth-child(5)'), 'never');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-api-tokens-made.png') });

		assert.equal((await members(secret)).status, 200);
		// A reload reads the page afresh: the form is not posted again (no second token), the secret is gone.
		await page.reload();
		assert.equal(page.url(), `${service.url}/console/tokens`);
		assert.equal(await page.locator('#new-token-value').count(), 0, 'shown once: not after a reload');
		assert.equal(await page.locator('#api-tokens tbody tr').count(), 1, 'the reload made no second token');
		assert.notEqual(
			await page.getAttribute('#api-tokens tbody tr td:nth-child(5) time', 'datetime'),
			null,
			'used since: its last use is shown',
		);
		assert.ok(!(await page.content()).includes(secret), 'the secret is not in the page again');

		// What it did, from its row: Activity narrowed to the token, under its maker and label.
		const invited = await fetch(`${service.url}/api/v1/admin/members`, {
			method: 'POST',
			headers: bearer(secret, { 'content-type': 'application/json' }),
			body: JSON.stringify({ email: 'pipeline-made@acme.example', role: 'member' }),
		});
		assert.equal(invited.status, 201);
		await page.getByRole('link', { name: 'What it did: policy pipeline' }).click();
		await page.waitForURL(/\/console\/activity\?actor=/);
		assert.equal(await page.textContent('#activity-actor'), `Only what ${byToken} did. Show everyone's`);
		assert.deepEqual(await page.locator('#activity tbody tr td:nth-child(3)').allTextContents(), ['Invited']);
		await page.click('#activity-actor a:has-text("Show everyone\'s")');
		await page.waitForURL(/\/console\/activity$/);
		assert.ok((await page.locator('#activity tbody tr').count()) > 1, "everyone's again");
		// Each actor links to what they did.
		await page
			.locator('#activity tbody tr td:nth-child(2) a', { hasText: /^admin@acme\.example$/ })
			.first()
			.click();
		await page.waitForURL(/actor=admin%40acme\.example$/);
		assert.equal(await page.locator('#activity-problems').count(), 0);
		// An actor no event can have (past the 500 characters an actor name may take) is named as not used,
		// so nobody takes everyone's list for that actor's.
		await page.goto(`${service.url}/console/activity?actor=${'x'.repeat(501)}`);
		assert.equal(
			await page.textContent('#activity-problems'),
			'Not used: Who must be at most 500 characters. The list below is shown without it.',
		);
		assert.equal(await page.locator('#activity-actor').count(), 0);
		// A page this list never handed out: named, with the API's own words, its backticks as code.
		await page.goto(`${service.url}/console/activity?before=not-a-cursor`);
		assert.equal(await page.textContent('#activity-problems code'), 'next');
		await page.goto(`${service.url}/console/tokens`);

		// Dismissing the question leaves the token working; accepting it revokes it at once.
		page.once('dialog', (dialog) => void dialog.dismiss());
		await page.click('#api-tokens button:has-text("Revoke")');
		assert.equal(await page.locator('#api-tokens tbody tr').count(), 1);
		assert.equal((await members(secret)).status, 200);
		let asked = '';
		page.once('dialog', (dialog) => {
			asked = dialog.message();
			void dialog.accept();
		});
		await Promise.all([page.waitForURL(/\/revoke$/), page.click('#api-tokens button:has-text("Revoke")')]);
		assert.equal(asked, 'Revoke the token policy pipeline? Whatever uses it is refused at once.');
		await page.waitForSelector('#tokens-notice');
		assert.match((await page.textContent('#tokens-notice')) ?? '', /Revoked policy pipeline/);
		// Its row is gone, yet what it did is one step away: the reason to revoke a leaked token is to look.
		assert.equal(
			await page.getAttribute('#tokens-notice a', 'href'),
			`/console/activity?${new URLSearchParams({ actor: byToken }).toString()}`,
		);
		assert.equal(await page.locator('#api-tokens').count(), 0);
		assert.equal((await members(secret)).status, 401);
		await page.goto(`${service.url}/console/activity`);
		assert.deepEqual(
			await page
				.locator('#activity tbody tr td:nth-child(3)')
				.allTextContents()
				.then((labels) => labels.filter((label) => label.startsWith('API token'))),
			['API token revoked', 'API token made'],
		);
	});
});
