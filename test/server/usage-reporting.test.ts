import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hourOf } from '../../src/policy';
import type { FetchFunction } from '../../src/client';
import { PolicyTransport } from '../../src/extension/sync/transport';
import { UsageLedger, type CountedRequest, type LedgerWindow } from '../../src/extension/usage/usage-ledger';
import { WINDOW_GONE_MS } from '../../src/extension/usage/window-ledgers';
import { UsageReporter } from '../../src/extension/usage/usage-reporter';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemoryKeyValueStore } from '../support/memory-storage';
import { ADMIN, bearer, jsonOf, ManualClock, startService, type RunningService } from '../support/service';

const counted = (change: Partial<CountedRequest> = {}): CountedRequest => ({
	hour: hourOf(Date.now()),
	model: 'gpt-4o',
	api: 'chat-completions',
	caller: 'language-model',
	outcome: 'ok',
	revision: 1,
	inputTokens: 100,
	outputTokens: 20,
	cachedTokens: 0,
	reasoningTokens: 0,
	estimatedRequests: 0,
	firstTokenRequests: 1,
	firstTokenMs: 40,
	durationMs: 90,
	...change,
});

/**
 * The extension's reporter (ledger, reporter, transport) against the real service: a lost answer,
 * the service down and back, a restart of VS Code in between, and two instances on one database.
 */
describe('usage reports from the extension to the service', function () {
	this.timeout(30_000);
	const cleanups: (() => Promise<void> | void)[] = [];
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) {
			await cleanup();
		}
	});

	/** A member's reporter over `fetch` to whichever service `url()` names; `lose` drops answers to usage reports. */
	async function memberReporter(service: RunningService, url: () => string, state = new MemoryKeyValueStore()) {
		await service.addUser('dev@acme.example', 'member').catch(() => undefined);
		const { access_token: token } = await service.signIn('dev@acme.example');
		const lost = { count: 0 };
		const fetchLosingAnswers: FetchFunction = async (input, init) => {
			const response = await fetch(input, init);
			if (String(input).endsWith('/api/v1/usage') && lost.count > 0) {
				lost.count--;
				await response.body?.cancel();
				// The service took the report; its answer never arrives (a reset on the way back).
				throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
			}
			return response;
		};
		const transport = new PolicyTransport({
			connection: {
				get serverUrl() {
					return url();
				},
				fetch: fetchLosingAnswers,
			},
			trust: { signingKey: { keyId: 'k', publicKey: 'x' } as never, organizationId: 'acme' },
			accessToken: async () => token,
			refresh: async () => false,
		});
		const logged: string[] = [];
		/** A VS Code window; `window` sets its id and clock (by default its own id, and now), `seen` the global state as it sees it. */
		const make = (window?: LedgerWindow, seen = state) => {
			const ledger = new UsageLedger(seen, () => randomUUID(), undefined, window);
			const reporter = new UsageReporter({
				ledger,
				scheduler: new ManualScheduler(new ManualClock()),
				target: () => ({ orgId: 'acme', transport, budgeted: false }),
				log: (message) => logged.push(message),
			});
			cleanups.push(() => reporter.dispose());
			return { ledger, reporter };
		};
		return { make, lost, logged, state };
	}
	const totals = async (service: RunningService) => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const answer = await jsonOf(await fetch(`${service.url}/api/v1/admin/usage?groupBy=member`, { headers: bearer(admin) }));
		return answer.groups as { member: string; requests: number; inputTokens: number }[];
	};

	it('counts a report whose answer was lost once: the retry carries the same id', async () => {
		const service = await startService();
		cleanups.push(() => service.close());
		const member = await memberReporter(service, () => service.url);
		const { ledger, reporter } = member.make();
		ledger.add('acme', counted());
		ledger.add('acme', counted());
		member.lost.count = 1;
		assert.equal(await reporter.sendNow(), 'failed');
		assert.match(member.logged.join('\n'), /kept for later/);
		assert.equal(await reporter.sendNow(), 'sent');
		assert.deepEqual(
			(await totals(service)).map((group) => [group.member, group.requests, group.inputTokens]),
			[['dev@acme.example', 2, 200]],
		);
		assert.equal(ledger.nextPending('acme'), undefined);
	});

	it('keeps reports while the service is down, across a restart of VS Code, and delivers them when it is back', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-usage-'));
		cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
		let service = await startService({ dataDir });
		const port = Number(new URL(service.url).port);
		const member = await memberReporter(service, () => `http://127.0.0.1:${port}`);
		const before = member.make();
		before.ledger.add('acme', counted());
		await service.close();
		assert.equal(await before.reporter.sendNow(), 'failed', 'the service is down');
		before.ledger.add('acme', counted({ model: 'o3' }));
		before.reporter.dispose();
		await before.ledger.close();

		// VS Code restarts (a new window over the same global state); the service comes back.
		const after = member.make();
		assert.equal(
			after.ledger.view('acme').pending.length,
			2,
			'the report sealed before, and what was counted after it, sealed at the close',
		);
		assert.equal(after.ledger.view('acme').open.length, 0);
		service = await startService({ dataDir, port });
		cleanups.push(() => service.close());
		assert.equal(await after.reporter.sendNow(), 'sent');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const byModel = await jsonOf(await fetch(`${service.url}/api/v1/admin/usage?groupBy=model`, { headers: bearer(admin) }));
		assert.deepEqual(byModel.groups.map((group: { model: string; requests: number }) => [group.model, group.requests]).sort(), [
			['gpt-4o', 1],
			['o3', 1],
		]);
	});

	it("counts what every window of one VS Code counted: each keeps its own, and a closed window's is sent by another", async () => {
		const service = await startService();
		cleanups.push(() => service.close());
		const member = await memberReporter(service, () => service.url);
		// Two windows restored together.
		const [first, second] = [member.make(), member.make()];
		first.ledger.add('acme', counted());
		first.ledger.add('acme', counted({ model: 'o3' }));
		second.ledger.add('acme', counted());
		second.ledger.add('acme', counted());
		second.ledger.add('acme', counted({ inputTokens: 50 }));
		await Promise.all([first.ledger.flush(), second.ledger.flush()]);
		assert.equal(second.ledger.unsentTokens('acme', 0), 5 * 20 + 450, 'the budget counts both windows');
		// A window still open keeps its own: the other sends only what it counted.
		assert.equal(await second.reporter.sendNow(), 'sent');
		assert.equal((await totals(service))[0]?.requests, 3);
		// The first window closes before its hourly report; the next report of the second sends it.
		first.reporter.dispose();
		await first.ledger.close();
		assert.equal(await second.reporter.sendNow(), 'sent');
		assert.deepEqual(
			(await totals(service)).map((group) => [group.member, group.requests, group.inputTokens]),
			[['dev@acme.example', 5, 450]],
		);
		assert.deepEqual(second.ledger.view('acme').pending, []);
	});

	it("sends a crashed window's counts once, however many windows take them over, and the ledger of the version before", async () => {
		const service = await startService();
		cleanups.push(() => service.close());
		const member = await memberReporter(service, () => service.url);
		let now = Date.parse('2026-12-04T09:00:00Z');
		const clock = () => now;
		const crashed = member.make({ id: 'crashed-window', now: clock });
		crashed.ledger.add('acme', counted());
		crashed.ledger.add('acme', counted({ model: 'o3' }));
		await crashed.ledger.flush();
		// The version before kept one ledger per organization: a report sealed in it, not sent yet.
		await member.state.update('orgProviderPolicy.usage.acme', {
			version: 1,
			open: [],
			pending: [{ batchId: randomUUID(), buckets: [{ ...counted({ model: 'gpt-4.1' }), requests: 1 }], droppedRequests: 0, sealedAt: now }],
			dropped: 0,
			sent: [],
		});
		// The window never closed (its process was killed). A day later two windows open together.
		now += WINDOW_GONE_MS + 1;
		// The second sees global state as it was before the first's writes reached it.
		const before = new MemoryKeyValueStore();
		member.state.keys().forEach((key) => void before.update(key, member.state.get(key)));
		const [one, two] = [member.make({ id: 'one', now: clock }), member.make({ id: 'two', now: clock }, before)];
		assert.equal(one.ledger.view('acme').pending.length, 2, 'the crashed window and the old ledger, both taken over');
		assert.equal(two.ledger.view('acme').pending.length, 2, 'by both windows');
		await Promise.all([one.reporter.sendNow(), two.reporter.sendNow()]);
		const byModel = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/usage?groupBy=model`, { headers: bearer((await service.signIn(ADMIN.email)).access_token) }),
		);
		assert.deepEqual(byModel.groups.map((group: { model: string; requests: number }) => [group.model, group.requests]).sort(), [
			['gpt-4.1', 1],
			['gpt-4o', 1],
			['o3', 1],
		]);
		assert.deepEqual(
			member.state.keys().filter((key) => key === 'orgProviderPolicy.usage.acme' || key.endsWith('.crashed-window')),
			[],
			'what was taken over is gone from global state',
		);
	});

	it('leaves an open window its counts however long it waits to send them (signed out for days)', async () => {
		const service = await startService();
		cleanups.push(() => service.close());
		const member = await memberReporter(service, () => service.url);
		let now = Date.parse('2026-12-04T09:00:00Z');
		const clock = () => now;
		const waiting = member.make({ id: 'waiting', now: clock });
		waiting.ledger.add('acme', counted());
		await waiting.ledger.flush();
		// Its reporter ticks at least every half hour, whether or not it can send.
		for (let hour = 0; hour < 30; hour++) {
			now += 3600_000;
			waiting.ledger.stillHere();
			await waiting.ledger.flush();
		}
		const other = member.make({ id: 'other', now: clock });
		assert.equal(other.ledger.nextPending('acme'), undefined, 'not taken over: the window is still open');
		assert.equal(await other.reporter.sendNow(), 'nothing');
		assert.equal(await waiting.reporter.sendNow(), 'sent');
		assert.deepEqual(
			(await totals(service)).map((group) => group.requests),
			[1],
		);
	});

	(TEST_DATABASE_URL ? it : it.skip)('counts a report once across two instances on one PostgreSQL database', async () => {
		const database = await freshDatabase();
		cleanups.push(() => database.drop());
		const [first, second] = await Promise.all([startService({ databaseUrl: database.url }), startService({ databaseUrl: database.url })]);
		cleanups.push(
			() => first.close(),
			() => second.close(),
		);
		let target = first.url;
		const member = await memberReporter(first, () => target);
		const { ledger, reporter } = member.make();
		ledger.add('acme', counted());
		member.lost.count = 1;
		assert.equal(await reporter.sendNow(), 'failed', 'the first instance took it; its answer was lost');
		target = second.url; // the load balancer sends the retry elsewhere
		assert.equal(await reporter.sendNow(), 'sent');
		const [fromFirst, fromSecond] = [await totals(first), await totals(second)];
		assert.deepEqual(fromFirst, fromSecond);
		assert.equal(fromFirst[0]?.requests, 1);
	});
});
