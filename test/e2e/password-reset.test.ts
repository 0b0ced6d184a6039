import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signedInConsole } from '../support/chromium';
import { bearer, deviceSignIn } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');
const NEW_PASSWORD = 'a fresh passphrase for spring';

/** A member lost their password: the admin makes a link on Members, the member opens it in their own browser. */
describe('a forgotten password, in headless Chromium', function () {
	this.timeout(60_000);
	const ui = signedInConsole();

	it('the admin makes a one-time link on Members; the member sets a new password with it and is shown how to reconnect VS Code', async () => {
		const { page, service, browser } = ui;
		const dev = await service.addUser('dev@acme.example', 'member');
		const before = await service.signIn(dev.email);
		await page.goto(`${service.url}/console/members`);
		let asked = '';
		page.once('dialog', (dialog) => {
			asked = dialog.message();
			void dialog.accept();
		});
		await page.click('button[aria-label="Reset password of dev@acme.example"]');
		await page.waitForSelector('#status.success:has-text("Made a password reset link for dev@acme.example.")');
		assert.match(asked, /^Make a link with which dev@acme\.example sets a new password\? It works once, for a day/);
		assert.match(
			(await page.textContent('#reset-note')) ?? '',
			/^Nothing was e-mailed\. Send this one-time link to dev@acme\.example yourself/,
		);
		const link = await page.inputValue('#reset-link');
		const row = page.locator('tr', { hasText: 'dev@acme.example' });
		assert.match((await row.locator('.password-reset-until').textContent()) ?? '', /reset link works until \w+/);
		await page.reload();
		assert.match((await row.locator('.password-reset-until').textContent()) ?? '', /reset link works until \w+/, 'and after a reload');
		assert.match(link, new RegExp(`^${service.url}/reset/opp_pwr_`));
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-password-reset-link.png') });

		// The member, in their own browser, with no console session.
		const member = await browser.newPage();
		try {
			await member.goto(link);
			assert.equal(await member.textContent('#reset-account'), dev.email);
			await member.fill('#password', 'too short');
			await member.click('#save-password');
			// The browser's own check holds a short password back: nothing was sent, the link still works.
			assert.equal(await member.evaluate("document.querySelector('#password').validity.tooShort"), true);
			await member.fill('#password', NEW_PASSWORD);
			await member.click('#save-password');
			await member.waitForSelector('#open-in-vscode');
			assert.match((await member.textContent('main')) ?? '', /Your new password is set, and your earlier sign-ins ended\./);
			await member.screenshot({ path: join(ARTIFACTS, 'password-reset-done.png'), fullPage: true });

			await member.goto(link);
			assert.match((await member.textContent('#reset-error')) ?? '', /cannot be used: it was used already/);
			assert.equal(await member.locator('#password').count(), 0, 'no form for a used link');
		} finally {
			await member.close();
		}
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(before.access_token) })).status, 401, 'signed out');
		await deviceSignIn(service.url, dev.email, NEW_PASSWORD);
	});

	it('the admin withdraws a link sent to the wrong inbox, one made on this page or listed after a reload', async () => {
		const { page, service } = ui;
		await service.addUser('dev@acme.example', 'member');
		await page.goto(`${service.url}/console/members`);
		const row = page.locator('tr', { hasText: 'dev@acme.example' });
		const withdrawIt = async () => {
			let asked = '';
			page.once('dialog', (dialog) => {
				asked = dialog.message();
				void dialog.accept();
			});
			await row.getByRole('button', { name: 'Withdraw the password reset link of dev@acme.example' }).click();
			await page.waitForSelector('#status.success:has-text("Withdrew the password reset link of dev@acme.example: it opens nothing now.")');
			assert.match(asked, /^Withdraw the password reset link of dev@acme\.example\? It opens nothing from now on/);
			assert.equal(await row.locator('.password-reset-until').count(), 0, 'the row no longer says a link is out');
		};

		page.once('dialog', (dialog) => void dialog.accept());
		await page.click('button[aria-label="Reset password of dev@acme.example"]');
		await page.waitForSelector('#status.success');
		const first = await page.inputValue('#reset-link');
		await withdrawIt();
		assert.equal(await page.isVisible('#reset-result'), false, 'the withdrawn link is no longer offered to copy');
		assert.equal((await fetch(first)).status, 404);

		page.once('dialog', (dialog) => void dialog.accept());
		await page.click('button[aria-label="Reset password of dev@acme.example"]');
		await page.waitForSelector('#status.success');
		const second = await page.inputValue('#reset-link');
		await page.reload();
		await withdrawIt();
		assert.equal((await fetch(second)).status, 404);
		await page.reload();
		assert.equal(await row.locator('.password-reset-until').count(), 0);
	});

	it('says why no link was made for a member the directory deactivated', async () => {
		const { page, service } = ui;
		const dev = await service.addUser('dev@acme.example', 'member');
		await service.store.identity.setDeactivated(dev.id, Date.now());
		await page.goto(`${service.url}/console/members`);
		page.once('dialog', (dialog) => void dialog.accept());
		await page.click('button[aria-label="Reset password of dev@acme.example"]');
		await page.waitForSelector('#status.error');
		assert.match(
			(await page.textContent('#status')) ?? '',
			/dev@acme\.example is deactivated by the directory \(SCIM\): reactivate them there first/,
		);
		assert.equal(await page.isVisible('#reset-result'), false);
	});

	it('a member who knows their password changes it from the VS Code sign-in page, without a console', async () => {
		const { service, browser } = ui;
		const dev = await service.addUser('dev@acme.example', 'member');
		const member = await browser.newPage();
		try {
			await member.goto(`${service.url}/device`);
			await member.click('a[href="/account/password"]');
			await member.waitForURL(/\/account\/password$/);
			await member.fill('#email', dev.email);
			await member.fill('#current-password', dev.password);
			await member.fill('#new-password', NEW_PASSWORD);
			await member.fill('#repeat-password', NEW_PASSWORD);
			await member.uncheck('#end-sign-ins');
			await member.click('#change-password');
			await member.waitForSelector('#password-changed');
			assert.equal(await member.textContent('#password-changed'), 'Password changed for dev@acme.example. VS Code stays signed in.');
		} finally {
			await member.close();
		}
		await deviceSignIn(service.url, dev.email, NEW_PASSWORD);
	});
});
