import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { validSettings } from '../support/policy-fixtures';
import { memberRecord, signInToken } from '../support/records';
import { ADMIN, createGroup, putPolicy, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');
const MEMBERS = 2500;

/**
 * The Members page of an organization of thousands: a page at a time, searched by address or group,
 * narrowed to a sync state, every choice kept in the address.
 */
describe('the Members page of a large organization (headless Chromium)', function () {
	this.timeout(120_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;

	before(async () => {
		browser = await launchChromium();
		service = await startService();
		const admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		for (let index = 0; index < MEMBERS; index++) {
			const id = `member-${index.toString().padStart(4, '0')}`;
			// Every tenth applied the current revision, the rest an older one or none.
			const appliedRevision = index % 10 === 0 ? 2 : index % 10 === 1 ? 1 : null;
			await service.store.createUser(memberRecord(id));
			if (appliedRevision) {
				await service.store.recordApplied({ userId: id, revision: appliedRevision, at: Date.now() });
			}
		}
		await createGroup(
			service.url,
			admin,
			'Platform',
			[7, 1500, 2499].map((index) => `member-${index.toString().padStart(4, '0')}@acme.example`),
		);
		await createGroup(
			service.url,
			admin,
			'Everyone East',
			Array.from({ length: 250 }, (_, index) => `member-${(index * 2).toString().padStart(4, '0')}@acme.example`),
		);
		page = await browser.newPage();
		await signInToConsole(page, service.url);
	});
	after(async () => {
		await service?.close();
		await browser?.close();
	});

	const emails = () => page.locator('#members tbody tr td:first-child').allTextContents();

	it('shows a hundred at a time with the way to the next page, finds a person and a team, and narrows to a sync state', async () => {
		await page.click('a[href="/console/members"]');
		assert.equal(await page.textContent('#members-shown'), `Showing 1–100 of 2,501 members.`);
		const first = await emails();
		assert.equal(first.length, 100);
		assert.equal(first[0], 'admin@acme.example', 'in e-mail order');
		assert.equal(first[1], 'member-0000@acme.example');
		assert.equal(await page.isVisible('a[rel="prev"]'), false);

		await page.click('a[rel="next"]');
		await page.waitForURL(/page=2$/);
		assert.equal(await page.textContent('#members-shown'), 'Showing 101–200 of 2,501 members.');
		assert.equal((await emails())[0], 'member-0099@acme.example');
		assert.equal(await page.isVisible('a[rel="prev"]'), true);

		await page.fill('#member-search input[name="q"]', 'MEMBER-2042');
		await page.click('#member-search button[type="submit"]');
		await page.waitForURL(/q=MEMBER-2042/);
		assert.deepEqual(await emails(), ['member-2042@acme.example'], 'any case, from the first page');
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–1 of 1 matching (2,501 members).');
		assert.equal(
			await page.getAttribute('#members tbody tr a', 'href'),
			'/console/usage?member=member-2042%40acme.example',
			'each address leads to that member’s usage',
		);

		await page.fill('#member-search input[name="q"]', 'platform');
		await page.click('#member-search button[type="submit"]');
		await page.waitForURL(/q=platform/);
		assert.deepEqual(
			await emails(),
			['member-0007@acme.example', 'member-1500@acme.example', 'member-2499@acme.example'],
			'a group by name',
		);

		await page.fill('#member-search input[name="q"]', '');
		await page.selectOption('#member-search select[name="sync"]', 'in sync');
		await page.click('#member-search button[type="submit"]');
		await page.waitForURL(/sync=in\+sync/);
		const options = await page.locator('#member-search select[name="sync"] option').allTextContents();
		assert.deepEqual(options, [
			'Every state (2,501)',
			'in sync (250)',
			'behind (250)',
			'extension too old (0)',
			'never synced (2,001)',
			'deactivated (0)',
		]);
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–100 of 250 matching (2,501 members).');
		assert.deepEqual(new Set(await page.locator('#members .badge').allTextContents()), new Set(['in sync']));
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-members-search.png'), fullPage: false });

		// A page past the end (members removed since the link was made) shows the last one.
		await page.goto(`${service.url}/console/members?sync=in+sync&page=9`);
		assert.equal(await page.textContent('#members-shown'), 'Showing 201–250 of 250 matching (2,501 members).');
		await page.click('a:has-text("Show everyone")');
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–100 of 2,501 members.');
		await page.goto(`${service.url}/console/members?q=nobody-here`);
		assert.equal(await page.textContent('#members-shown'), 'No member matches (of 2,501).');
		assert.equal(await page.locator('#members tbody tr').count(), 0);
		assert.equal(await page.locator('#members-problems').count(), 0, 'nothing to say of a search that found nobody');

		// A state or page the form never offers (a hand-edited or an old link) is named, not silently dropped;
		// the search beside it still applies.
		await page.goto(`${service.url}/console/members?q=member-00&sync=in-sync&page=first`);
		assert.equal(
			await page.textContent('#members-problems'),
			'Not used: Sync must be "in sync", "behind", "extension too old", "never synced" or "deactivated"; Page must be a number. Shown instead: what the form below says.',
		);
		assert.equal(await page.getAttribute('#member-search select[name="sync"]', 'aria-invalid'), 'true');
		assert.equal(await page.getAttribute('#member-search input[name="q"]', 'aria-invalid'), 'false');
		assert.equal(await page.inputValue('#member-search input[name="q"]'), 'member-00');
		assert.equal(await page.inputValue('#member-search select[name="sync"]'), '', 'every state instead');
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–100 of 100 matching (2,501 members).');
		// The form's own empty choices ask for nothing and are not problems.
		await page.goto(`${service.url}/console/members?q=&sync=&group=&page=`);
		assert.equal(await page.locator('#members-problems').count(), 0);
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–100 of 2,501 members.');
	});

	it('names twenty members of a large group on the Groups page, and lists them all on Members', async () => {
		await page.goto(`${service.url}/console/groups`);
		const row = page.locator('tr[data-group-name="Everyone East"]');
		assert.equal(await row.locator('.chip').count(), 20);
		assert.equal(await row.locator('.group-all-members').textContent(), 'and 230 more: all 250 on Members');
		assert.equal(await page.locator('tr[data-group-name="Platform"] .group-all-members').count(), 0, 'a small group is named in full');
		mkdirSync(ARTIFACTS, { recursive: true });
		await row.screenshot({ path: join(ARTIFACTS, 'console-groups-large-group.png') });
		await row.locator('.group-all-members').click();
		await page.waitForURL(/\/console\/members\?group=Everyone\+East$/);
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–100 of 250 matching (2,501 members).');
		assert.equal((await emails())[1], 'member-0002@acme.example');
		assert.equal(await page.inputValue('#member-search input[name="group"]'), 'Everyone East');
		// The group stays while the admin narrows further.
		await page.selectOption('#member-search select[name="sync"]', 'in sync');
		await page.click('#member-search button[type="submit"]');
		await page.waitForURL(/group=Everyone\+East/);
		assert.equal(await page.textContent('#members-shown'), 'Showing 1–50 of 50 matching (2,501 members).');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'console-members-group.png'), fullPage: false });
	});

	it('says after a save whose members cannot be given it for their old extension, and why on Members', async () => {
		// Two members whose extension understands policy schema 2, holding revision 1; the second on two machines.
		for (const id of ['member-0001', 'member-0011']) {
			await service.store.recordApplied({ userId: id, revision: 1, at: Date.now(), policySchema: 2 });
		}
		const machine = async (familyId: string) => {
			await service.store.insertTokens([signInToken('member-0011', `refresh-${familyId}`, { familyId })]);
			return { orgId: 'acme', familyId };
		};
		const [desktop, laptop] = [await machine('desktop'), await machine('laptop')];
		await service.store.recordApplied({ userId: 'member-0011', revision: 1, at: Date.now(), policySchema: 2, signIn: desktop });
		// Organization tokens need schema 3: those two cannot be given this policy.
		const admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.organizationToken, '"2"')).status, 200);
		await page.goto(`${service.url}/console/settings`);
		await page.fill('#admin-contact', 'ai-platform@acme.example');
		await page.click('#save');
		await page.waitForSelector('#extensions-too-old');
		// Their laptop runs this release: it takes revision 4, the desktop still cannot.
		await service.store.recordApplied({
			userId: 'member-0011',
			revision: 4,
			at: Date.now() + 1,
			policySchema: 3,
			signIn: { ...laptop, extensionVersion: '0.3.0', vscodeVersion: '1.117.0' },
		});
		assert.equal(
			await page.textContent('#status'),
			"Saved revision 4. Members receive it now. 2 members' extensions are too old for it: they keep the revision they have until they update Org Provider Policy in VS Code.",
		);
		await page.click('#extensions-too-old');
		await page.waitForURL(/sync=extension\+too\+old/);
		assert.deepEqual(await emails(), ['member-0001@acme.example', 'member-0011@acme.example']);
		assert.deepEqual(await page.locator('#members .extension-update-note').allTextContents(), [
			'knows schema 2 only: keeps revision 1 until updated',
			'one of their machines knows schema 2 only: keeps revision 1 until updated',
		]);
		assert.deepEqual(await page.locator('#members .sign-ins-note li').allInnerTexts(), [
			'revision 4 (extension 0.3.0, VS Code 1.117.0) Sign out',
			'revision 1 (extension 0.2.0 or older) Sign out',
		]);
		assert.match(
			(await page.textContent('#extension-too-old-hint')) ?? '',
			/^Extension too old: their Org Provider Policy extension understands an older policy schema/,
		);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-members-extension-too-old.png') });

		// The desktop was put away: the admin signs that one machine out, and the member is as far along as their laptop.
		const asked = new Promise<string>((resolve) =>
			page.once('dialog', (dialog) => {
				resolve(dialog.message());
				void dialog.accept();
			}),
		);
		const syncChoices = () => page.locator('#member-search select[name="sync"] option').allTextContents();
		const choicesBefore = await syncChoices();
		assert.ok(choicesBefore.includes('extension too old (2)'), choicesBefore.join(', '));
		// Pressed from the keyboard: the button goes with the old row, and the keyboard goes on from the member's row.
		await page.getByRole('button', { name: 'Sign out the machine of member-0011@acme.example running extension 0.2.0 or older' }).focus();
		await page.keyboard.press('Enter');
		assert.match(
			await asked,
			/^Sign out the VS Code of member-0011@acme\.example running extension 0\.2\.0 or older\? That machine's sign-in ends now/,
		);
		await page.waitForSelector('#status.success');
		assert.equal(
			await page.textContent('#status'),
			'Signed out the VS Code of member-0011@acme.example running extension 0.2.0 or older. Their sync state without it: in sync.',
		);
		// The row is drawn again as the service now judges it: one machine left, on the current revision.
		const row = page.locator('#members tr[data-member-id="member-0011"]');
		assert.deepEqual(await row.locator('td').nth(4).innerText(), '4');
		assert.equal(await row.locator('.badge').innerText(), 'in sync');
		assert.equal(await row.locator('.sign-ins-note, .extension-update-note').count(), 0);
		assert.equal(await page.locator(':focus').textContent(), 'member-0011@acme.example');
		// The filter counts them as a reload would: one fewer held back, one more in sync, as many in all.
		const moved = (choice: string, by: number) => choice.replace(/\((\d+)\)$/, (_, n: string) => `(${Number(n) + by})`);
		assert.deepEqual(
			await syncChoices(),
			choicesBefore.map((choice) =>
				choice.startsWith('extension too old') ? moved(choice, -1) : choice.startsWith('in sync') ? moved(choice, 1) : choice,
			),
		);
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-members-machine-signed-out.png') });
		// The redrawn row's actions work as the page's own did.
		page.once('dialog', (dialog) => void dialog.accept());
		await row.getByRole('button', { name: 'Reset password of member-0011@acme.example' }).click();
		await page.locator('#status', { hasText: 'Made a password reset link for member-0011@acme.example.' }).waitFor();
		assert.equal(await row.locator('.password-reset-until').count(), 1);
		assert.equal(await service.store.getToken('refresh-desktop').then((token) => token?.revokedReason), 'admin_machine_sign_out');
		const choicesAfter = await syncChoices();
		await page.reload();
		assert.deepEqual(await emails(), ['member-0001@acme.example'], 'member-0011 is no longer held back');
		assert.deepEqual(await syncChoices(), choicesAfter, 'the page counted as the service does');
	});
});
