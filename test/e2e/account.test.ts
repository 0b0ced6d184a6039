import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signedInConsole } from '../support/chromium';
import { ADMIN } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/** The admin's own account page, reached from their address in the top bar. */
describe('your account in headless Chromium', function () {
	this.timeout(60_000);
	const ui = signedInConsole();

	it('changes the password from the top bar: a wrong current one is said beside its field, the new one then works', async () => {
		const { page } = ui;
		await page.click('nav .who');
		await page.waitForURL(/\/console\/account$/);
		assert.equal(await page.textContent('#account-email'), ADMIN.email);
		await page.fill('#current-password', 'not my password at all');
		await page.fill('#new-password', 'a brand new passphrase 42');
		await page.fill('#repeat-password', 'a brand new passphrase 42');
		await page.click('#change-password');
		await page.waitForSelector('#current-password-error:has-text("That is not your current password.")');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-account-wrong-password.png') });

		await page.fill('#current-password', ADMIN.password);
		await page.fill('#new-password', 'a brand new passphrase 42');
		await page.fill('#repeat-password', 'a brand new passphrase 42');
		await page.click('#change-password');
		await page.waitForSelector('#account-notice');
		assert.match((await page.textContent('#account-notice')) ?? '', /^Password changed\./);
		await page.click('nav button:has-text("Sign out")');
		await page.waitForURL(/\/console\/login/);
		await page.fill('#email', ADMIN.email);
		await page.fill('#password', 'a brand new passphrase 42');
		await page.click('#sign-in');
		await page.waitForURL(/\/console\/settings$/);
	});
});
