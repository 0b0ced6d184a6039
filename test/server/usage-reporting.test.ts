import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hourOf } from '../../src/policy';
import type { FetchFunction } from '../../src/client';
import { PolicyTransport } from '../../src/extension/sync/transport';
import { UsageLedger, type CountedRequest } from '../../src/extension/usage/usage-ledger';
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
		const make = () => {
			const ledger = new UsageLedger(state, () => randomUUID());
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
		await before.ledger.flush();
		before.reporter.dispose();

		// VS Code restarts (a new ledger over the same global state); the service comes back.
		const after = member.make();
		assert.equal(after.ledger.view('acme').pending.length, 1, 'the sealed report survived');
		assert.equal(after.ledger.view('acme').open.length, 1, 'and what was counted after it');
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
