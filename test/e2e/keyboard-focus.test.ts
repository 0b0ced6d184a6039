import assert from 'node:assert/strict';
import { signedInConsole } from '../support/chromium';
import { ADMIN, bearer, createGroup } from '../support/service';

/**
 * A control that removes its own row or item (a header, an invitation, a reset link, a member)
 * leaves the keyboard beside what is left, not at the top of the page (WCAG 2.4.3, focus order).
 * Each button is reached with the keyboard and pressed with Enter; every question is accepted.
 */
describe('keyboard focus when the console removes what it was on (headless Chromium)', function () {
	this.timeout(60_000);
	const fixture = signedInConsole({
		prepare: async (service) => {
			const admin = (await service.signIn(ADMIN.email)).access_token;
			for (const email of ['first@acme.example', 'second@acme.example']) {
				const invited = await fetch(`${service.url}/api/v1/admin/members`, {
					method: 'POST',
					headers: bearer(admin, { 'content-type': 'application/json' }),
					body: JSON.stringify({ email, role: 'member' }),
				});
				assert.equal(invited.status, 201);
			}
			for (const displayName of ['Research', 'Contractors']) {
				await createGroup(service.url, admin, displayName, []);
			}
			for (const email of ['ann@acme.example', 'bob@acme.example']) {
				const { id } = await service.addUser(email, 'member');
				assert.equal(
					(await fetch(`${service.url}/api/v1/admin/members/${id}/password-reset`, { method: 'POST', headers: bearer(admin) })).status,
					201,
				);
			}
		},
	});
	beforeEach(() => fixture.page.on('dialog', (dialog) => void dialog.accept()));

	/** What has focus, by the attribute that names it. */
	const focused = (attribute: string) => fixture.page.locator(':focus').getAttribute(attribute);
	const press = async (selector: string) => {
		await fixture.page.focus(selector);
		await fixture.page.keyboard.press('Enter');
	};

	it('Settings: removing a custom header moves to the next header, and from the last one to Add header', async () => {
		const { page } = fixture;
		await page.click('#add-header');
		await page.click('#add-header');
		await page.locator('.header-row .header-name').nth(1).fill('X-Second');
		await press('.header-row:nth-child(1) .remove-header');
		assert.equal(await page.locator('.header-row').count(), 1);
		assert.equal(await page.locator(':focus').inputValue(), 'X-Second', "the next header's name");
		await press('.header-row .remove-header');
		assert.equal(await focused('id'), 'add-header');
	});

	it('Groups: removing an overlay moves into the next one, and from the last one to the group to add', async () => {
		const { page, service } = fixture;
		await page.goto(`${service.url}/console/groups`);
		for (const group of ['Research', 'Contractors']) {
			await page.selectOption('#overlay-group', group);
			await page.click('#add-overlay');
		}
		await press('.overlay-row[data-group="Research"] .overlay-remove');
		assert.equal(await page.locator('.overlay-row').count(), 1);
		assert.equal(await page.locator('.overlay-row[data-group="Contractors"] :focus').count(), 1, "within Contractors' overlay");
		await press('.overlay-row .overlay-remove');
		assert.equal(await focused('id'), 'overlay-group');
	});

	it('Members: withdrawing an invitation, a reset link, or removing a member keeps the keyboard beside what is left', async () => {
		const { page, service } = fixture;
		await page.goto(`${service.url}/console/members`);
		await press('.withdraw-invitation[data-email="first@acme.example"]');
		await page.locator('#status', { hasText: 'Withdrew the invitation to first@acme.example' }).waitFor();
		assert.equal(await focused('data-email'), 'second@acme.example', "the next invitation's Withdraw");
		await press('.withdraw-invitation[data-email="second@acme.example"]');
		await page.locator('#status', { hasText: 'Withdrew the invitation to second@acme.example' }).waitFor();
		assert.equal(await focused('id'), 'member-email', 'none left: the invitation form');

		await press('.withdraw-reset[data-email="ann@acme.example"]');
		await page.locator('#status', { hasText: 'Withdrew the password reset link of ann@acme.example' }).waitFor();
		assert.equal(await focused('aria-label'), 'Reset password of ann@acme.example', "the same member's Reset password");

		const emails = await page.locator('#members tbody tr td:first-child > a').allTextContents();
		const ann = emails.indexOf('ann@acme.example');
		const next = emails[ann + 1] ?? emails[ann - 1];
		await press('.remove-member[data-email="ann@acme.example"]');
		await page.locator('#status', { hasText: 'Removed ann@acme.example.' }).waitFor();
		assert.equal(await page.locator(':focus').textContent(), next, 'the e-mail of the row that took its place');
	});
});
