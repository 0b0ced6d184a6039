import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { ADMIN, createGroup, putPolicy, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

describe('the Groups page in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;

	before(async () => {
		browser = await launchChromium();
		mkdirSync(ARTIFACTS, { recursive: true });
	});
	after(async () => browser?.close());
	beforeEach(async () => {
		service = await startService();
		for (const email of ['ann@acme.example', 'bob@acme.example', 'cy@acme.example']) {
			await service.addUser(email, 'member');
		}
		// A group the directory provisioned: shown, not changed here.
		const now = Date.now();
		const bob = (await service.store.findUserByEmail('acme', 'bob@acme.example'))!;
		await service.store.groups.createGroup(
			{ id: 'scim-1', orgId: 'acme', displayName: 'Contractors', externalId: 'ext-1', source: 'scim', createdAt: now, updatedAt: now },
			[bob.id],
		);
		page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
		page.on('dialog', (dialog) => void (dialog.type() === 'prompt' ? dialog.accept('AI Research') : dialog.accept()));
		await signInToConsole(page, service.url);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});

	/** The page's status line, once it says this (the page reloads after each change). */
	const statusSays = (start: string) => page.locator('#status', { hasText: start }).waitFor();
	const row = (name: string) => page.locator(`tr[data-group-name="${name}"]`);
	const membersOf = async (name: string) =>
		(await row(name).locator('.group-members').innerText()).replace(/×/g, '').split(/\s+/).filter(Boolean);

	it('makes a group, adds and removes members, renames and deletes it; shows the directory’s group as read-only; the Members page lists each member’s groups', async () => {
		await page.click('a[href="/console/groups"]');
		await page.waitForURL(/\/console\/groups$/);
		assert.match(await row('Contractors').innerText(), /your directory \(SCIM\)[\s\S]*bob@acme\.example[\s\S]*Changed where it is managed/);

		await page.fill('#group-name', 'Research');
		await page.fill('#group-members', 'ann@acme.example\nnobody@acme.example');
		await page.click('#new-group button[type="submit"]');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('[data-error-for="members"]')) ?? '', /nobody@acme\.example is not a member of this organization/);
		await page.fill('#group-members', 'ann@acme.example');
		await page.click('#new-group button[type="submit"]');
		await page.waitForSelector('#status.success');
		assert.deepEqual(await membersOf('Research'), ['ann@acme.example']);

		await row('Research').locator('.group-add-email').fill('cy@acme.example');
		await row('Research').locator('.add-to-group button').click();
		await statusSays('Added cy@acme.example');
		assert.deepEqual(await membersOf('Research'), ['ann@acme.example', 'cy@acme.example']);
		await row('Research').locator('.remove-from-group[data-email="ann@acme.example"]').click();
		await statusSays('Removed ann@acme.example');
		assert.deepEqual(await membersOf('Research'), ['cy@acme.example']);
		await row('Research').locator('.rename-group').click();
		await statusSays('Renamed Research to AI Research');
		await page.screenshot({ path: join(ARTIFACTS, 'console-groups.png'), fullPage: true });

		await page.click('a[href="/console/members"]');
		const groupsOf = async (email: string) => (await page.locator(`#members tr:has-text("${email}") .member-groups`).innerText()).trim();
		assert.equal(await groupsOf('cy@acme.example'), 'AI Research');
		assert.equal(await groupsOf('bob@acme.example'), 'Contractors');
		assert.equal(await groupsOf('ann@acme.example'), '—');

		await page.click('a[href="/console/groups"]');
		await row('AI Research').locator('.delete-group').click();
		await statusSays('Deleted AI Research');
		assert.equal(await row('AI Research').count(), 0);
	});

	it('says an overlay needs a group where there is none yet, and offers the group once made', async () => {
		assert.ok(await service.store.groups.deleteGroup('acme', 'scim-1'));
		await page.goto(`${service.url}/console/groups`);
		assert.match((await page.textContent('#overlays-need-group')) ?? '', /^An overlay applies to a group: make one above/);
		assert.equal(await page.isVisible('#add-overlay'), false, 'no Add overlay for want of a group');
		assert.equal(await page.isVisible('#overlay-group'), false);
		assert.equal(await page.isVisible('#save-overlays'), true, 'the endpoint choice can still be saved');
		await page.fill('#group-name', 'Research');
		await page.click('#new-group button[type="submit"]');
		await statusSays('Created Research');
		assert.equal(await page.locator('#overlays-need-group').count(), 0);
		assert.deepEqual(await page.locator('#overlay-group option').allTextContents(), ['Research']);
		await page.click('#add-overlay');
		assert.equal(await page.locator('#overlays .overlay-row[data-group="Research"]').count(), 1);
	});

	it('says in the status line why a group its overlay names keeps its name, and marks an overlay whose group is gone', async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		await createGroup(service.url, admin, 'Research', ['ann@acme.example']);
		const saved = await putPolicy(
			service.url,
			admin,
			{
				enabled: true,
				provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', models: { allowed: ['gpt-4o', 'o3'] } },
				overlays: [
					{ group: 'Research', models: { allowed: ['o3'] } },
					{ group: 'Former Team', models: { allowed: ['gpt-4o'] } },
				],
			},
			'*',
		);
		assert.equal(saved.status, 200, await saved.clone().text());
		await page.goto(`${service.url}/console/groups`);
		await row('Research').locator('.rename-group').click();
		await page.waitForSelector('#status.error');
		assert.match(
			(await page.textContent('#status')) ?? '',
			/^displayName: Research cannot be renamed while the policy's group overlays name it: its members would lose it\./,
		);
		assert.equal(await page.textContent('#new-group [data-error-for="displayName"]'), '', 'not said under the new group’s name');
		assert.equal(await row('Research').count(), 1, 'still named Research');
		assert.equal(
			await page.textContent('#overlays .overlay-orphan'),
			'No group is named Former Team now: this overlay applies to nobody (was the group renamed or removed in your directory?).',
		);
		assert.equal(await page.locator('#overlays .overlay-orphan').count(), 1, 'only the overlay whose group is gone');
		await page.screenshot({ path: join(ARTIFACTS, 'console-groups-named-by-policy.png'), fullPage: true });
	});
});
