import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInToConsole } from '../support/chromium';
import { startIdentityProvider, TEST_CLIENT } from '../support/identity-provider';
import { ADMIN, ManualClock, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/**
 * What the admin's edit survives: the console session ending, the service restarting, a proxy's
 * error page. The page says what happened in words and keeps what was entered; pressing Save again
 * once things are back saves it, with no reload.
 */
describe('the console keeps an edit through an ended session, a restart and a proxy error (Chromium)', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let page: Page;
	let clock: ManualClock;
	let dataDir: string;

	before(async () => (browser = await launchChromium()));
	after(async () => browser?.close());

	beforeEach(async () => {
		clock = new ManualClock();
		dataDir = mkdtempSync(join(tmpdir(), 'opp-console-'));
		service = await startService({ clock, dataDir });
		page = await browser.newPage();
		await signInToConsole(page, service.url);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close().catch(() => undefined);
		rmSync(dataDir, { recursive: true, force: true });
	});

	const editBaseUrl = async () => {
		await page.check('#enabled');
		await page.fill('#base-url', 'https://acme.openai.azure.com');
	};
	/** The Base URL the service now holds, as the settings page shows it after a reload. */
	const savedBaseUrl = async () => {
		await page.reload();
		return page.inputValue('#base-url');
	};
	/** *Sign in again (opens a new tab)*: the admin signs in there and closes it, back to the page. */
	const signInAgainInNewTab = async () => {
		const [signInTab] = await Promise.all([page.context().waitForEvent('page'), page.click('#sign-in-again')]);
		await signInTab.waitForURL(/\/console\/login$/);
		await signInTab.fill('#email', ADMIN.email);
		await signInTab.fill('#password', ADMIN.password);
		await signInTab.click('#sign-in');
		await signInTab.waitForURL(/\/console\/settings$/);
		await signInTab.close();
	};
	const statusAfterSave = async () => {
		await page.click('#save');
		await page.waitForSelector('#status.error, #status.success');
		return (await page.textContent('#status')) ?? '';
	};

	it('an ended session: says so, offers a sign-in in a new tab, and the same page then saves the edit', async () => {
		await editBaseUrl();
		clock.advance(13 * 3600_000); // past the console session's 12 hours
		const said = await statusAfterSave();
		assert.match(
			said,
			/^Your console session has ended\. What you entered is still on this page: sign in again in a new tab, then come back and try again\. Sign in again \(opens a new tab\)$/,
		);
		assert.doesNotMatch(said, /token/i, 'no talk of tokens to an admin in a browser');
		await page.screenshot({ path: join(ARTIFACTS, 'console-session-ended.png'), fullPage: false });
		await signInAgainInNewTab();
		// Back on the first tab, unreloaded: its CSRF token was the ended session's.
		assert.equal(await page.inputValue('#base-url'), 'https://acme.openai.azure.com');
		assert.match(await statusAfterSave(), /^Saved revision 2\./);
		assert.equal(await savedBaseUrl(), 'https://acme.openai.azure.com');
	});

	it('an ended session and a reload (or a link followed): signing in comes back to the page that was asked for', async () => {
		clock.advance(13 * 3600_000);
		await page.goto(`${service.url}/console/usage?member=dev%40acme.example`);
		await page.waitForURL(/\/console\/login\?next=/);
		await page.fill('#email', ADMIN.email);
		await page.fill('#password', ADMIN.password);
		await page.click('#sign-in');
		await page.waitForURL(/\/console\/usage\?member=dev%40acme\.example$/);
		assert.equal(await page.inputValue('input[name="member"]'), 'dev@acme.example', 'the page as it was asked for, its filter kept');
	});

	it("the Devices page's download with an ended session: says so and keeps the ticks; after signing in the same button downloads", async () => {
		await page.goto(`${service.url}/console/devices`);
		await page.check('input[name="assistants"][value="cline"]');
		clock.advance(13 * 3600_000);
		await page.click('button[name="file"][value="policy.json"]');
		await page.waitForSelector('#status.error');
		assert.match((await page.textContent('#status')) ?? '', /^Your console session has ended\./);
		assert.equal(new URL(page.url()).pathname, '/console/devices', 'still the page, not the sign-in page');
		assert.ok(await page.isChecked('input[name="assistants"][value="cline"]'));
		await page.screenshot({ path: join(ARTIFACTS, 'console-devices-session-ended.png') });
		await signInAgainInNewTab();
		const [downloaded] = await Promise.all([page.waitForEvent('download'), page.click('button[name="file"][value="policy.json"]')]);
		const linux = JSON.parse(readFileSync((await downloaded.path())!, 'utf8')) as { AllowedExtensions: string };
		assert.ok(JSON.parse(linux.AllowedExtensions)['saoudrizwan.claude-dev'], 'the ticked assistant is allowed');
	});

	it('the single sign-on form (posted to the server, not by script) is kept too: nothing typed is lost to the sign-in page', async () => {
		// Saving reads the identity provider's discovery document: a real one, on loopback.
		const idp = await startIdentityProvider([`${service.url}/console/sso/callback`]);
		try {
			await page.goto(`${service.url}/console/sso`);
			await page.fill('#sso-displayName', 'Acme ID');
			await page.fill('#sso-issuer', idp.issuer);
			await page.fill('#sso-clientId', TEST_CLIENT.id);
			await page.fill('#sso-clientSecret', TEST_CLIENT.secret);
			clock.advance(13 * 3600_000);
			await page.click('#sso-save');
			await page.waitForSelector('#status.error');
			assert.match((await page.textContent('#status')) ?? '', /^Your console session has ended\. What you entered is still on this page/);
			assert.equal(new URL(page.url()).pathname, '/console/sso', 'still on the form, not the sign-in page');
			await page.screenshot({ path: join(ARTIFACTS, 'console-sso-session-ended.png') });
			assert.equal(await page.inputValue('#sso-clientSecret'), TEST_CLIENT.secret);
			await signInAgainInNewTab();
			await page.click('#sso-save');
			await page.waitForSelector('#sso-notice');
			assert.equal(await page.textContent('#sso-notice'), 'Saved.');
			assert.equal(await page.inputValue('#sso-issuer'), idp.issuer);
		} finally {
			await idp.close();
		}
	});

	it('a restart of the service: says it could not be reached, then saves once it is back', async () => {
		await editBaseUrl();
		const port = Number(new URL(service.url).port);
		await service.close();
		assert.equal(
			await statusAfterSave(),
			'Could not reach the policy service. What you entered is still on this page: try again when it is back.',
		);
		assert.equal(await page.isDisabled('#save'), false, 'Save can be pressed again');
		await page.screenshot({ path: join(ARTIFACTS, 'console-service-unreachable.png') });
		service = await startService({ clock, dataDir, port });
		assert.match(await statusAfterSave(), /^Saved revision 2\./, 'the console session outlives the restart');
		assert.equal(await savedBaseUrl(), 'https://acme.openai.azure.com');
	});

	it("a proxy's error page: says the service did not answer, with the status, and no parser's complaint", async () => {
		await editBaseUrl();
		await page.route('**/api/v1/admin/policy**', (route) =>
			route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }),
		);
		assert.equal(
			await statusAfterSave(),
			'The policy service did not answer (HTTP 502 Bad Gateway). What you entered is still on this page: try again in a moment.',
		);
		await page.screenshot({ path: join(ARTIFACTS, 'console-proxy-error.png') });
		await page.unroute('**/api/v1/admin/policy**');
		assert.match(await statusAfterSave(), /^Saved revision 2\./);
	});

	it('the members page says the same when the service cannot be reached', async () => {
		await page.goto(`${service.url}/console/members`);
		await page.fill('#member-email', 'new@acme.example');
		await service.close();
		await page.click('#add-member button[type="submit"]');
		await page.waitForSelector('#status.error');
		assert.equal(
			await page.textContent('#status'),
			'Could not reach the policy service. What you entered is still on this page: try again when it is back.',
		);
		assert.equal(await page.inputValue('#member-email'), 'new@acme.example');
	});
});
