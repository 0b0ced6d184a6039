import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { freePort } from '../support/free-port';
import { startIdentityProvider, TEST_CLIENT, type TestIdentityProvider } from '../support/identity-provider';
import { ADMIN, bearer, form, jsonOf, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/**
 * Single sign-on in headless Chromium against a real OpenID provider (oidc-provider at
 * http://localhost, a different site from the service at 127.0.0.1): set up in the console, the
 * Test sign-in gate, password sign-in off, break-glass, a member approving VS Code, refusals.
 */
describe('single sign-on in headless Chromium', function () {
	this.timeout(60_000);
	let browser: Browser;
	let idp: TestIdentityProvider;
	let service: RunningService;
	let admin: Page;

	before(async () => {
		browser = await launchChromium();
		mkdirSync(ARTIFACTS, { recursive: true });
	});
	after(async () => browser?.close());

	beforeEach(async () => {
		const port = await freePort();
		idp = await startIdentityProvider([`http://127.0.0.1:${port}/console/sso/callback`]);
		service = await startService({ port });
		admin = await (await browser.newContext()).newPage();
		await admin.goto(`${service.url}/console/login`);
		await admin.fill('#email', ADMIN.email);
		await admin.fill('#password', ADMIN.password);
		await admin.click('#sign-in');
		await admin.waitForURL(/\/console\/settings$/);
		// Set up as an admin does, field by field.
		await admin.click('a[href="/console/sso"]');
		await admin.fill('#sso-displayName', 'Acme ID');
		await admin.fill('#sso-issuer', idp.issuer);
		await admin.fill('#sso-clientId', TEST_CLIENT.id);
		await admin.fill('#sso-clientSecret', TEST_CLIENT.secret);
		await admin.fill('#sso-allowedDomains', 'acme.test\nacme.example');
		await admin.fill('#sso-allowedGroups', 'engineering\nai-admins');
		await admin.fill('#sso-adminGroups', 'ai-admins');
		await admin.check('#sso-enabled');
		await admin.click('#sso-save');
		await admin.waitForSelector('#sso-notice');
		assert.equal(await admin.textContent('#sso-notice'), 'Saved.');
	});
	afterEach(async () => {
		await admin?.context().close();
		await service?.close();
		await idp?.close();
	});

	/** A fresh browser profile (no cookies at the service or the identity provider). */
	const stranger = async () => (await browser.newContext()).newPage();
	async function atIdentityProvider(page: Page, person: string) {
		await page.waitForURL((url) => url.origin === idp.issuer);
		await page.fill('#idp-login', person);
		await page.fill('#idp-password', 'anything');
		await page.click('#idp-submit');
	}
	/** Whether someone opening the console's sign-in page is offered single sign-on. */
	async function buttonShown(): Promise<boolean> {
		const page = await stranger();
		await page.goto(`${service.url}/console/login`);
		const shown = (await page.locator('#sso-sign-in').count()) > 0;
		await page.context().close();
		return shown;
	}
	/** The admin's Test sign-in, as alice (an admin by her group), passing. */
	async function passTestSignIn(): Promise<void> {
		await admin.goto(`${service.url}/console/sso`);
		await admin.click('#sso-test');
		await atIdentityProvider(admin, 'alice@acme.test');
		await admin.waitForSelector('#sso-tested');
	}

	it('turns password sign-in off only after a Test sign-in, then signs admins in with SSO and keeps break-glass', async () => {
		await admin.uncheck('#sso-passwordSignIn');
		await admin.click('#sso-save');
		await admin.waitForSelector('#sso-errors');
		assert.match(
			(await admin.textContent('#sso-errors'))!,
			/Allow password sign-in: can be turned off only after a Test sign-in succeeded/,
		);
		await admin.screenshot({ path: join(ARTIFACTS, 'e2e-sso-test-gate.png'), fullPage: true });

		// Saved and offered, but not tested: no one is shown a button that might fail for everyone (#28 item 1).
		assert.equal(await buttonShown(), false, 'no single sign-on button before a Test sign-in passes');
		assert.match((await admin.textContent('#sso-test-state'))!, /Not shown to anyone yet/);
		await admin.check('#sso-passwordSignIn');
		await admin.click('#sso-test');
		await atIdentityProvider(admin, 'alice@acme.test');
		await admin.waitForSelector('#sso-tested');
		assert.equal(await admin.textContent('#sso-claims-groups'), 'ai-admins, engineering', 'the admin sees what the provider sent');
		await admin.screenshot({ path: join(ARTIFACTS, 'e2e-sso-test-passed.png'), fullPage: true });
		await admin.click('#continue');
		await admin.waitForURL(/\/console\/sso\?tested=1$/);
		assert.equal(await admin.textContent('#sso-notice'), 'Test sign-in passed.');
		assert.equal(await buttonShown(), true, 'the button appears once a Test sign-in passed');
		await admin.uncheck('#sso-passwordSignIn');
		await admin.click('#sso-save');
		await admin.waitForSelector('#sso-notice');
		assert.equal(await admin.isChecked('#sso-passwordSignIn'), false, 'password sign-in is off');
		await admin.screenshot({ path: join(ARTIFACTS, 'e2e-sso-settings.png'), fullPage: true });

		const alice = await stranger();
		await alice.goto(`${service.url}/console/login`);
		assert.equal(await alice.locator('#password').count(), 0, 'no password field any more');
		await alice.screenshot({ path: join(ARTIFACTS, 'e2e-sso-login.png'), fullPage: true });
		await alice.click('#sso-sign-in');
		await atIdentityProvider(alice, 'alice@acme.test');
		await alice.waitForURL(/\/console\/settings$/);
		assert.match((await alice.textContent('.who'))!, /alice@acme\.test \(admin\)/);
		await alice.context().close();

		const operator = await stranger();
		await operator.goto(`${service.url}/console/login`);
		await operator.click('#break-glass');
		await operator.fill('#email', ADMIN.email);
		await operator.fill('#password', ADMIN.password);
		await operator.click('#sign-in');
		await operator.waitForURL(/\/console\/settings$/);
		await operator.click('a[href="/console/activity"]');
		// The click only starts the navigation: read the list once the activity page is there.
		await operator.waitForURL(/\/console\/activity$/);
		await operator.locator('#activity tbody tr').first().waitFor();
		const actions = await operator
			.locator('#activity tbody tr')
			.evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-action')}:${row.getAttribute('data-outcome')}`));
		for (const expected of ['sign_in.break_glass:ok', 'sign_in.sso:ok', 'member.joined:ok', 'sso.test:ok', 'sso.settings_saved:ok']) {
			assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
		}
		assert.doesNotMatch(await operator.content(), new RegExp(TEST_CLIENT.secret));
		await operator.screenshot({ path: join(ARTIFACTS, 'e2e-sso-activity.png'), fullPage: true });
		await operator.context().close();
	});

	it('lets a member approve a VS Code sign-in through the identity provider', async () => {
		await passTestSignIn();
		const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
		const bob = await stranger();
		await bob.goto(started.verification_uri_complete);
		assert.equal(
			await bob.textContent('#or-password'),
			'or with your e-mail and password',
			'the button and the e-mail field are kept apart',
		);
		await bob.screenshot({ path: join(ARTIFACTS, 'e2e-sso-device-page.png'), fullPage: true });
		await bob.click('#sso-sign-in');
		await atIdentityProvider(bob, 'bob@acme.test');
		await bob.waitForURL((url) => url.pathname === '/device' && url.searchParams.get('user_code') === started.user_code);
		assert.equal(await bob.textContent('#signed-in-as'), 'bob@acme.test');
		assert.equal(await bob.inputValue('#user_code'), started.user_code, 'the code is kept');
		await bob.click('#approve');
		await bob.waitForSelector('#device-result');
		assert.match((await bob.textContent('#device-result'))!, /Approved\. VS Code is now signed in to Acme Corp as bob@acme\.test/);
		await bob.screenshot({ path: join(ARTIFACTS, 'e2e-sso-device-approved.png'), fullPage: true });
		const tokens = await jsonOf(
			await form(`${service.url}/oauth/token`, {
				grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
				device_code: started.device_code,
				client_id: 'vscode',
			}),
		);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 200);
		await bob.context().close();
	});

	for (const [person, message] of [
		['eve@evil.test', /not in a domain this organization accepts/],
		['dave@acme.test', /not in a group allowed to use this organization's AI endpoint/],
		['carol@acme.test', /has not verified the e-mail address carol@acme\.test/],
	] as const) {
		it(`refuses ${person} with the reason`, async () => {
			await passTestSignIn();
			const page = await stranger();
			await page.goto(`${service.url}/console/login`);
			await page.click('#sso-sign-in');
			await atIdentityProvider(page, person);
			await page.waitForSelector('#sso-error');
			assert.match((await page.textContent('#sso-error'))!, message);
			await page.screenshot({ path: join(ARTIFACTS, `e2e-sso-refused-${person.split('@')[0]}.png`), fullPage: true });
			await page.goto(`${service.url}/console/settings`);
			assert.match(page.url(), /\/console\/login$/, 'no session');
			await page.context().close();
		});
	}
});
