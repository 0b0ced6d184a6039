import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { hourOf, type UsageBucket } from '../../src/policy';
import { launchChromium, signInToConsole } from '../support/chromium';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');
const DAY = 86_400_000;

function bucket(change: Partial<UsageBucket>): UsageBucket {
	return {
		hour: hourOf(Date.now()),
		model: 'gpt-4o',
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 2,
		requests: 1,
		inputTokens: 0,
		outputTokens: 0,
		cachedTokens: 0,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 0,
		firstTokenMs: 0,
		durationMs: 0,
		...change,
	};
}

describe('the Usage page in headless Chromium', function () {
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
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const saved = await putPolicy(
			service.url,
			admin,
			{
				enabled: true,
				provider: {
					id: 'openai-compatible',
					baseUrl: 'https://ai.acme.example/v1',
					headers: {},
					apiKeyRequired: true,
					models: { allowed: ['gpt-4o', 'o3'] },
				},
				usage: { reporting: 'counts' },
			},
			'"1"',
		);
		assert.equal(saved.status, 200);
		for (const [email, buckets] of [
			[
				'dev@acme.example',
				[
					bucket({ requests: 4, inputTokens: 1200, outputTokens: 300, firstTokenRequests: 4, firstTokenMs: 800 }),
					bucket({
						hour: hourOf(Date.now() - 2 * DAY),
						model: 'o3',
						requests: 2,
						inputTokens: 500,
						outputTokens: 700,
						reasoningTokens: 400,
					}),
				],
			],
			[
				'ops@acme.example',
				[
					bucket({ outcome: 'key-rejected', requests: 3 }),
					bucket({ requests: 1, inputTokens: 100, outputTokens: 10, estimatedRequests: 1 }),
				],
			],
		] as const) {
			await service.addUser(email, 'member');
			const token = (await service.signIn(email)).access_token;
			const sent = await fetch(`${service.url}/api/v1/usage`, {
				method: 'POST',
				headers: bearer(token, { 'content-type': 'application/json' }),
				// ops' extension lost two requests' counts (a long time offline): only their number arrives.
				body: JSON.stringify({ batchId: randomUUID(), buckets, droppedRequests: email === 'ops@acme.example' ? 2 : 0 }),
			});
			assert.equal(sent.status, 200, await sent.text());
		}
		page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
		await signInToConsole(page, service.url);
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});

	it('shows totals, charts with their numbers as tables, revisions with their error rate, top members, filters and a CSV export', async () => {
		await page.click('a[href="/console/usage"]');
		await page.waitForURL(/\/console\/usage$/);
		assert.equal(await page.textContent('#total-requests'), '10');
		assert.equal(await page.textContent('#total-failed'), '3 (30.0%)');
		assert.equal(await page.textContent('#total-input'), '1,800');
		assert.equal(await page.isVisible('#reporting-off'), false, 'the policy asks for usage');
		// The two less obvious totals are said in words, not in a tooltip.
		assert.equal(await page.textContent('#total-estimated'), '1 (10.0%)');
		assert.equal(await page.textContent('#total-uncounted'), '2');
		assert.match(
			(await page.textContent('#usage-totals-notes')) ?? '',
			/^Token counts estimated: the endpoint's answer carried no token counts.* Requests not counted: /,
		);

		// Chart.js drew both charts: their canvases hold pixels.
		// (A string: the test compiles without the DOM's types.)
		await page.waitForFunction(
			"[...document.querySelectorAll('canvas')].every((canvas) => canvas.width > 0 && canvas.toDataURL().length > 5000)",
		);
		const tokensTable = await page.$$eval('details.chart-data table', (tables) => tables.map((table) => table.textContent ?? ''));
		assert.match(tokensTable[0] ?? '', /1,610/, "today's gpt-4o tokens of dev (1,200 + 300) and ops (110) are in the table");
		assert.match(tokensTable[1] ?? '', /key-rejected/);

		const revisionRow = await page.$eval('#usage-revisions tbody tr', (row) => ({
			text: row.textContent ?? '',
			alarm: row.classList.contains('alarm'),
		}));
		assert.match(revisionRow.text, /^2/);
		assert.match(revisionRow.text, /3 \(30\.0%\)/, 'revision 2: 10 requests, 3 failed');
		assert.equal(revisionRow.alarm, true, 'a revision with a high error rate stands out');
		const members = await page.$$eval('#usage-members tbody th', (cells) => cells.map((cell) => cell.textContent));
		assert.deepEqual(members, ['dev@acme.example', 'ops@acme.example']);
		await page.screenshot({ path: join(ARTIFACTS, 'console-usage.png'), fullPage: true });

		await page.selectOption('select[name="model"]', 'o3');
		await page.click('.usage-filter button[type="submit"]');
		await page.waitForURL(/model=o3/);
		assert.equal(await page.textContent('#total-requests'), '2');
		await page.fill('input[name="member"]', 'ops@acme.example');
		await page.click('.usage-filter button[type="submit"]');
		await page.waitForURL(/member=ops/);
		assert.equal(await page.textContent('#total-requests'), '0', 'ops sent no o3 requests');

		const download = page.waitForEvent('download');
		await page.click('#usage-csv');
		const csv = await (await download).createReadStream();
		const chunks: Buffer[] = [];
		for await (const chunk of csv) {
			chunks.push(chunk as Buffer);
		}
		assert.match(Buffer.concat(chunks).toString('utf8'), /^day,model,outcome,member,requests,/);
	});

	it('says which field of the address it did not use, and why, beside what it shows instead', async () => {
		await page.goto(`${service.url}/console/usage?member=${encodeURIComponent('nobody@acme.example')}`);
		assert.equal(
			await page.textContent('#usage-problems'),
			'Not used: Member nobody@acme.example is not a member of this organization. Shown instead: what the form below says.',
		);
		assert.equal(await page.getAttribute('input[name="member"]', 'aria-invalid'), 'true');
		assert.equal(await page.getAttribute('input[name="from"]', 'aria-invalid'), 'false');
		await page.goto(`${service.url}/console/usage?from=2026-13-01`);
		assert.match((await page.textContent('#usage-problems')) ?? '', /^Not used: From must be a date \(YYYY-MM-DD\)\./);
		// Only the bad field falls back: the member asked for beside it still narrows the totals.
		await page.goto(`${service.url}/console/usage?from=2026-13-01&member=ops%40acme.example`);
		assert.match((await page.textContent('#usage-problems')) ?? '', /^Not used: From must be a date \(YYYY-MM-DD\)\./);
		assert.equal(await page.inputValue('input[name="member"]'), 'ops@acme.example');
		assert.equal(await page.textContent('#total-requests'), '4', "ops' requests over the usual 30 days");
		await page.goto(`${service.url}/console/usage?from=2026-12-05&to=2026-11-01`);
		assert.match((await page.textContent('#usage-problems')) ?? '', /^Not used: To must not be before from\./);
		assert.equal(await page.getAttribute('input[name="to"]', 'aria-invalid'), 'true');
		assert.equal(await page.textContent('#total-requests'), '10', 'the usual 30 days instead');
		// The API's grouping is no field of this page (it groups by day, model and member itself): not a problem.
		await page.goto(`${service.url}/console/usage?groupBy=bogus`);
		assert.equal(await page.locator('#usage-problems').count(), 0);
		await page.goto(`${service.url}/console/usage`);
		assert.equal(await page.locator('#usage-problems').count(), 0);
		// A date the admin clears asks for the usual period, as every empty field of the form asks for nothing.
		await page.fill('input[name="from"]', '');
		await page.fill('input[name="member"]', 'ops@acme.example');
		await Promise.all([page.waitForURL(/from=&/), page.click('.usage-filter button[type="submit"]')]);
		assert.equal(await page.locator('#usage-problems').count(), 0);
		assert.notEqual(await page.inputValue('input[name="from"]'), '', 'the usual first day, shown');
		assert.equal(await page.textContent('#total-requests'), '4', "ops' requests over the usual 30 days");
	});

	it('says when the policy does not ask for usage', async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const saved = await putPolicy(service.url, admin, { enabled: false }, '"2"');
		assert.equal(saved.status, 200);
		await page.goto(`${service.url}/console/usage`);
		assert.match((await page.textContent('#reporting-off')) ?? '', /Usage reporting is off/);

		await page.click('a[href="/console/settings"]');
		await page.check('#enabled');
		await page.fill('#base-url', 'https://ai.acme.example/v1');
		await page.check('#usage-reporting');
		await page.fill('#budget-tokens', '250,000');
		await page.selectOption('#budget-enforcement', 'hard');
		await page.click('#save');
		await page.waitForSelector('#status.success');
		await page.goto(`${service.url}/console/usage`);
		assert.equal(await page.isVisible('#reporting-off'), false, 'turned on in Settings');
		const current = await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin, { 'org-policy-schema': '3' }) });
		assert.deepEqual((await jsonOf(current)).policy.usage, {
			reporting: 'counts',
			budget: { monthlyTokens: 250_000, enforcement: 'hard' },
		});
	});
});
