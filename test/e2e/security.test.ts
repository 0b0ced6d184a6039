import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, signInToConsole } from '../support/chromium';
import { ADMIN, form, jsonOf, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A page on another origin that posts a form to the service as soon as it loads. */
async function attackerPage(target: string, fields: Record<string, string>): Promise<{ server: Server; port: number }> {
	const inputs = Object.entries(fields)
		.map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
		.join('');
	const server = createServer((_request, response) => {
		response.writeHead(200, { 'content-type': 'text/html' });
		response.end(
			`<!doctype html><form id="f" method="post" action="${target}">${inputs}</form><script>document.getElementById('f').submit()</script>`,
		);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { server, port: (server.address() as AddressInfo).port };
}

describe('cross-site and same-site form posts in Chromium (security)', function () {
	this.timeout(60_000);
	let browser: Browser;
	let service: RunningService;
	let context: BrowserContext;
	const servers: Server[] = [];

	before(async () => {
		browser = await launchChromium();
	});
	after(async () => browser?.close());
	beforeEach(async () => {
		service = await startService();
		context = await browser.newContext();
	});
	afterEach(async () => {
		await context.close();
		servers.splice(0).forEach((server) => server.close());
		await service.close();
	});

	const signInAsAdmin = async () => {
		const page = await context.newPage();
		await signInToConsole(page, service.url);
		return page;
	};
	/** The attacker's own device code, which it hopes the admin's session approves. */
	const startDeviceCode = async () =>
		(await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }))) as {
			device_code: string;
			user_code: string;
		};
	const poll = async (deviceCode: string) =>
		(await jsonOf(await form(`${service.url}/oauth/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'vscode' })))
			.error as string | undefined;

	for (const [name, host] of [
		['same-site (another port on the same host)', '127.0.0.1'],
		['cross-site (another host)', 'localhost'],
	] as const) {
		it(`refuses a ${name} page auto-submitting the device approval with the admin's session`, async () => {
			const page = await signInAsAdmin();
			const code = await startDeviceCode();
			const attacker = await attackerPage(`${service.url}/device`, { user_code: code.user_code, action: 'approve' });
			servers.push(attacker.server);
			const answered = page.waitForResponse(
				(response) => response.url() === `${service.url}/device` && response.request().method() === 'POST',
			);
			await page.goto(`http://${host}:${attacker.port}/`);
			const response = await answered;
			assert.ok([401, 403].includes(response.status()), `the service answered ${response.status()}`);
			assert.equal(await poll(code.device_code), 'authorization_pending', 'the code was not approved');
		});
	}

	it("refuses a same-site page signing the admin's browser in to the attacker's account (login CSRF)", async () => {
		await service.addUser('attacker@acme.example', 'admin');
		const page = await context.newPage();
		const attacker = await attackerPage(`${service.url}/console/login`, {
			email: 'attacker@acme.example',
			password: 'pw-attacker@acme.example-long-enough',
		});
		servers.push(attacker.server);
		const answered = page.waitForResponse(
			(response) => response.url() === `${service.url}/console/login` && response.request().method() === 'POST',
		);
		await page.goto(`http://127.0.0.1:${attacker.port}/`);
		assert.equal((await answered).status(), 403);
		const cookies = await context.cookies(service.url);
		assert.ok(!cookies.some((cookie) => cookie.name === 'opp_session'), 'no console session was set');
	});

	it('says on the approval page which account approves, and offers another one (#28 item 3)', async () => {
		await service.addUser('dev@acme.example', 'member');
		const page = await signInAsAdmin();
		const code = await startDeviceCode();
		await page.goto(`${service.url}/device?user_code=${code.user_code}`);
		assert.equal((await page.textContent('#approve'))?.trim(), `Approve as ${ADMIN.email}`);
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'e2e-device-approve-as.png'), fullPage: true });
		await page.click('#switch-account');
		await page.waitForSelector('#email');
		assert.equal(await page.inputValue('#user_code'), code.user_code, 'the code is kept');
		assert.equal(await page.locator('#signed-in-as').count(), 0, 'the browser session is signed out');
		await page.fill('#email', 'dev@acme.example');
		await page.fill('#password', 'pw-dev@acme.example-long-enough');
		await page.click('#approve');
		assert.match((await page.textContent('#device-result'))!, /signed in to Acme Corp as dev@acme\.example/);
		assert.equal(await poll(code.device_code), undefined, 'approved: the token response has no error');
		await page.goto(`${service.url}/console/settings`);
		assert.match(page.url(), /\/console\/login/, 'the admin session was ended, not just hidden');
	});

	it('shows a page with the way back, styled under its own policy, at a console address that takes only a form', async () => {
		const page = await signInAsAdmin();
		const refused: string[] = [];
		page.on('console', (message) => /Refused to/.test(message.text()) && refused.push(message.text()));
		const response = await page.goto(`${service.url}/console/logout`);
		assert.equal(response?.status(), 405);
		assert.equal(await page.textContent('h1'), 'This address takes a form');
		// The console's stylesheet applied: the card has its border, so style-src 'self' let it in.
		assert.notEqual(await page.evaluate("getComputedStyle(document.querySelector('.card')).borderTopStyle"), 'none');
		assert.deepEqual(refused, [], 'nothing was refused by the page policy');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'e2e-console-form-address.png') });
		await page.click('text=Open the console');
		await page.waitForURL(/\/console\/settings$/);
	});

	it("still lets the admin approve a device code on the service's own page", async () => {
		const page = await signInAsAdmin();
		const code = await startDeviceCode();
		await page.goto(`${service.url}/device?user_code=${code.user_code}`);
		await page.click('#approve');
		await page.waitForSelector('#device-result');
		assert.equal(await poll(code.device_code), undefined, 'approved: the token response has no error');
	});
});
