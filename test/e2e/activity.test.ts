import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { ADMIN, startService, type RunningService } from '../support/service';

/** The Activity page of an organization with a long history: 200 at a time, newest first, with the way back and forth. */
describe('the Activity page in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;

	before(async () => {
		browser = await launchChromium();
		service = await startService();
		// 450 sign-ins of the past, a minute apart, oldest first.
		const start = Date.parse('2026-11-01T00:00:00Z');
		for (let index = 0; index < 450; index++) {
			await service.store.audit.appendAudit({
				id: `past-${String(index).padStart(3, '0')}`,
				orgId: 'acme',
				at: start + index * 60_000,
				actor: `person${index}@acme.example`,
				action: 'sign_in.sso',
				outcome: 'ok',
				detail: { purpose: 'console' },
			});
		}
		page = await browser.newPage();
		await signInToConsole(page, service.url);
	});
	after(async () => {
		await page?.close();
		await browser?.close();
		await service?.close();
	});

	const actors = () => page.locator('#activity tbody tr td:nth-child(2)').allTextContents();

	it('shows the newest 200, then older pages until the first event, and the way back to the newest', async () => {
		await page.goto(`${service.url}/console/activity`);
		const newest = await actors();
		assert.equal(newest.length, 200);
		assert.equal(newest[0], 'admin@acme.example', "this sign-in, today's, first");
		assert.equal(await page.locator('#activity-newest').count(), 0);
		await page.click('#activity-older');
		const second = await actors();
		assert.equal(second.length, 200);
		assert.equal(newest.at(-1), 'person251@acme.example');
		assert.equal(second[0], 'person250@acme.example', 'the page goes on right after the last one shown');
		await page.click('#activity-older');
		const last = await actors();
		assert.equal(last.at(-1), 'person0@acme.example');
		assert.equal(last.length, 451 - 400);
		assert.equal(await page.locator('#activity-older').count(), 0, 'the first event: nothing older');
		await page.click('#activity-newest');
		assert.deepEqual(await actors(), newest);
	});

	it('names each detail in words and a flag as yes or no; a detail it has no words for keeps its code', async () => {
		await service.store.audit.appendAudit({
			id: 'joined-now',
			orgId: 'acme',
			at: Date.now() + 60_000,
			actor: 'lead@acme.example',
			action: 'invitation.accepted',
			outcome: 'ok',
			detail: { role: 'admin', breakGlass: true, fromNextRelease: 'kept' },
		});
		await page.goto(`${service.url}/console/activity`);
		const newest = page.locator('#activity tbody tr').first();
		assert.equal(await newest.locator('td:nth-child(3)').innerText(), 'Invitation accepted');
		assert.equal(await newest.locator('td:nth-child(5)').innerText(), 'role: admin · break-glass admin: yes · fromNextRelease: kept');
		assert.equal(await newest.locator('td:nth-child(5) span[title="breakGlass"]').count(), 1, 'the code stays at hand');
	});

	it("shows a moment in a detail in the admin's own time, as it shows when", async () => {
		const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo' });
		try {
			const tokyo = await context.newPage();
			await signInToConsole(tokyo, service.url);
			await service.store.audit.appendAudit({
				id: 'token-made',
				orgId: 'acme',
				at: Date.now() + 60_000,
				actor: ADMIN.email,
				action: 'admin_token.created',
				outcome: 'ok',
				detail: { label: 'pipeline', expiresAt: '2027-03-05T19:09:38.844Z' },
			});
			await tokyo.goto(`${service.url}/console/activity`);
			const details = tokyo.locator('#activity tbody tr').first().locator('td:nth-child(5)');
			// 19:09 UTC is 04:09 the next morning in Tokyo.
			assert.equal(await details.innerText(), 'label: pipeline · expires: Mar 6, 2027, 4:09 AM');
			assert.equal(await details.locator('time').getAttribute('title'), '2027-03-05T19:09:38.844Z');
		} finally {
			await context.close();
		}
	});
});
