import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { axeFindings } from '../support/axe';
import { launchChromium, signInToConsole } from '../support/chromium';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');

/**
 * Every console page, and the pages people reach from a link (sign-in, device approval, invitation and a dead one, password reset,
 * an address with nothing there), with content on them: a group, an invitation, three revisions, a
 * rollout under way, and the settings form showing its errors. Both colour schemes: the console
 * follows the system's.
 */
describe('the console against WCAG 2.2 AA (axe-core, headless Chromium)', function () {
	this.timeout(120_000);
	let browser: Browser;
	let service: RunningService;
	let invitation: string;
	let passwordReset: string;

	// Model rows with every kind of cell: a reasoning model on the Responses API with its summary, and settings the table only lists.
	const withModels = {
		...validSettings.plainCompatible,
		provider: {
			...validSettings.plainCompatible.provider,
			models: {
				allowed: ['gpt-5', 'gpt-4o'],
				settings: {
					'gpt-5': { api: 'responses', reasoning: true, reasoningSummary: 'auto', store: true, reasoningEfforts: ['low', 'high'] },
				},
			},
		},
	};

	before(async () => {
		browser = await launchChromium();
		service = await startService();
		const dev = await service.addUser('dev@acme.example', 'member');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const reset = await fetch(`${service.url}/api/v1/admin/members/${dev.id}/password-reset`, { method: 'POST', headers: bearer(admin) });
		assert.equal(reset.status, 201);
		passwordReset = (await jsonOf(reset)).link;
		assert.equal((await putPolicy(service.url, admin, withModels, '"1"')).status, 200);
		await createGroup(service.url, admin, 'Pilots', ['dev@acme.example']);
		// An API token a pipeline has used: the tokens table with every column filled.
		const pipeline = await fetch(`${service.url}/api/v1/admin/tokens`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ label: 'nightly policy pipeline' }),
		});
		assert.equal(pipeline.status, 201);
		const used = await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer((await jsonOf(pipeline)).token) });
		assert.equal(used.status, 200);
		const invited = await fetch(`${service.url}/api/v1/admin/members`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ email: 'invited@acme.example', role: 'member' }),
		});
		assert.equal(invited.status, 201);
		invitation = (await jsonOf(invited)).invitation.link;
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify({ ...withModels, provider: { ...withModels.provider, baseUrl: 'https://next.acme.example/v1' } }),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
	});
	after(async () => {
		await service?.close();
		await browser?.close();
	});

	for (const colorScheme of ['light', 'dark'] as const) {
		it(`finds nothing on any page in the ${colorScheme} scheme`, async () => {
			const page = await browser.newPage({ colorScheme });
			mkdirSync(ARTIFACTS, { recursive: true });
			const found: string[] = [];
			// Chromium's own hints about a page's forms (a password form without a username for password managers…).
			page.on('console', (message) => {
				if (message.text().startsWith('[DOM]')) {
					found.push(`${page.url()}: ${message.text()}`);
				}
			});
			const check = async (name: string) => {
				await page.waitForLoadState('networkidle');
				found.push(...(await axeFindings(page)).map((finding) => `${name}: ${finding}`));
				await page.screenshot({ path: join(ARTIFACTS, `a11y-${colorScheme}-${name.replace(/ /g, '-')}.png`), fullPage: true });
			};
			try {
				await page.goto(`${service.url}/console/login`);
				await check('login');
				await page.goto(invitation);
				await check('invitation');
				await page.goto(`${service.url}/invite/no-such-link`);
				await check('invitation refused');
				await page.goto(passwordReset);
				await check('password reset');
				await page.goto(`${service.url}/account/password`);
				await check('change password');
				await signInToConsole(page, service.url);
				await check('settings');
				await page.fill('#base-url', 'not a url');
				await page.click('#save');
				await page.waitForSelector('#status.error');
				await check('settings with errors');
				for (const name of ['members', 'groups', 'revisions', 'usage', 'devices', 'sso', 'activity', 'account']) {
					await page.goto(`${service.url}/console/${name}`);
					await check(name);
				}
				// The API tokens page with a token just made: the secret shown once and the list.
				await page.goto(`${service.url}/console/tokens`);
				await page.fill('#token-label', `policy pipeline (${colorScheme})`);
				await page.click('#token-create');
				await page.waitForSelector('#new-token-value');
				await check('tokens');
				// Members with a password reset link just made for someone.
				await page.goto(`${service.url}/console/members`);
				page.once('dialog', (dialog) => void dialog.accept());
				await page.click('.reset-password');
				await page.waitForSelector('#reset-result:not([hidden])');
				await check('members with a reset link');
				assert.equal(await page.goto(`${service.url}/console/revisions`).then(() => page.isVisible('#rollout-card')), true);
				await page.goto(`${service.url}/device`);
				await check('device approval');
				await page.goto(`${service.url}/console/no-such-page`);
				await check('nothing here');
			} finally {
				await page.close();
			}
			assert.deepEqual(found, []);
		});
	}

	it('reflows at 320, 760 and 1024 CSS pixels: no page scrolls sideways, nothing runs past its card, a wide table scrolls within it (WCAG 1.4.10)', async () => {
		const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
		const wider: string[] = [];
		// Nothing shown runs past its card either (a table too wide for it, short of a phone's width),
		// except inside a box that scrolls on purpose. A string: the test compiles without the DOM's types.
		const pokingOut = `[...document.querySelectorAll('.card')].flatMap((card) => {
			const edge = card.getBoundingClientRect().right + 1;
			return [...card.querySelectorAll('table, pre, input, select, textarea, button')]
				.filter((each) => each.getClientRects().length > 0 && each.getBoundingClientRect().right > edge)
				.filter((each) => !each.closest('.table-scroll, [hidden]') && getComputedStyle(each.closest('table') ?? each).overflowX !== 'auto')
				.map((each) => each.tagName.toLowerCase() + (each.id ? '#' + each.id : ''));
		})`;
		const check = async (name: string) => {
			await page.waitForLoadState('networkidle');
			const [scrolled, shown] = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [
				number,
				number,
			];
			const width = page.viewportSize()?.width ?? 0;
			if (scrolled > shown) {
				wider.push(`${name} at ${width} px: ${scrolled} px wide`);
			}
			const out = (await page.evaluate(pokingOut)) as string[];
			if (out.length) {
				wider.push(`${name} at ${width} px: ${[...new Set(out)].join(', ')} past the card`);
			}
		};
		try {
			for (const [name, address] of [
				['login', '/console/login'],
				['invitation', invitation],
				['invitation refused', '/invite/no-such-link'],
				['password reset', passwordReset],
				['change password', '/account/password'],
				['device approval', '/device'],
			] as const) {
				await page.goto(new URL(address, service.url).toString());
				await check(name);
			}
			await signInToConsole(page, service.url);
			// A phone, then the widths between a phone and a desktop where tables are squeezed hardest.
			for (const width of [320, 760, 1024]) {
				await page.setViewportSize({ width, height: 800 });
				for (const name of ['settings', 'members', 'groups', 'revisions', 'usage', 'devices', 'sso', 'tokens', 'activity', 'account']) {
					await page.goto(`${service.url}/console/${name}`);
					await check(name);
				}
			}
			await page.setViewportSize({ width: 320, height: 640 });
			for (const name of ['members', 'settings']) {
				await page.goto(`${service.url}/console/${name}`);
				await page.screenshot({ path: join(ARTIFACTS, `console-${name}-320px.png`), fullPage: true });
			}
		} finally {
			await page.close();
		}
		assert.deepEqual(wider, []);
	});
});
