import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { UsageBucket } from '../../src/policy';
import type { Store } from '../../src/server/store/store';
import { STORE_HARNESSES, type StoreHarness } from '../support/store-harness';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T09:00:00.000Z');

export function bucket(change: Partial<UsageBucket> = {}): UsageBucket {
	return {
		hour: new Date(T0).toISOString(),
		model: 'gpt-4o',
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 3,
		requests: 2,
		inputTokens: 100,
		outputTokens: 40,
		cachedTokens: 10,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 2,
		firstTokenMs: 300,
		durationMs: 900,
		...change,
	};
}

for (const { name, make } of STORE_HARNESSES) {
	describe(`${name} usage store contract`, function () {
		this.timeout(20_000);
		let harness: StoreHarness;
		let store: Store;
		const report = (userId: string, buckets: UsageBucket[], batchId = randomUUID(), droppedRequests = 0) =>
			store.usage.recordReport({ orgId: 'acme', userId, batchId, receivedAt: T0 + HOUR, droppedRequests, buckets });
		const everything = { from: T0 - 100 * HOUR, to: T0 + 100 * HOUR };

		beforeEach(async () => {
			harness = await make();
			store = await harness.open();
		});
		afterEach(async () => {
			await store.close();
			await harness.cleanup();
		});

		it('adds the same bucket from two reports, and counts a report sent twice once', async () => {
			const batch = randomUUID();
			assert.equal(await report('u1', [bucket()], batch), 'recorded');
			assert.equal(await report('u1', [bucket()], batch), 'duplicate', 'the retry after a lost response');
			assert.equal(await report('u1', [bucket({ requests: 1, inputTokens: 5, outputTokens: 1, firstTokenRequests: 1 })]), 'recorded');
			const [total] = await store.usage.aggregate('acme', everything, []);
			assert.deepEqual(total, {
				requests: 3,
				inputTokens: 105,
				outputTokens: 41,
				cachedTokens: 20,
				reasoningTokens: 0,
				estimatedRequests: 0,
				firstTokenRequests: 3,
				firstTokenMs: 600,
				durationMs: 1800,
			});
		});

		it('keeps report ids per member: another member reusing an id is counted as their own', async () => {
			const batch = randomUUID();
			await report('u1', [bucket()], batch);
			assert.equal(await report('u2', [bucket({ requests: 5, firstTokenRequests: 5 })], batch), 'recorded');
			const byUser = await store.usage.aggregate('acme', everything, ['user']);
			assert.deepEqual(
				byUser.map((group) => [group.user, group.requests]),
				[
					['u2', 5],
					['u1', 2],
				],
			);
		});

		it('groups by day, model, outcome and revision, and filters by period, model and member', async () => {
			await report('u1', [
				bucket(),
				bucket({ hour: new Date(T0 + 3 * HOUR).toISOString(), model: 'o3', outcome: 'rate-limited', requests: 1, firstTokenRequests: 0 }),
				bucket({ hour: new Date(T0 + 30 * HOUR).toISOString(), revision: 4 }),
			]);
			await report('u2', [bucket({ api: 'responses', caller: 'chat-view', model: 'gpt-5.2-codex', requests: 7, firstTokenRequests: 7 })]);
			const byDayModel = await store.usage.aggregate('acme', everything, ['day', 'model']);
			assert.deepEqual(
				byDayModel.map((group) => [new Date(group.day!).toISOString().slice(0, 10), group.model, group.requests]),
				[
					['2026-12-01', 'gpt-5.2-codex', 7],
					['2026-12-01', 'gpt-4o', 2],
					['2026-12-02', 'gpt-4o', 2],
					['2026-12-01', 'o3', 1],
				],
			);
			const byOutcome = await store.usage.aggregate('acme', everything, ['outcome']);
			assert.deepEqual(Object.fromEntries(byOutcome.map((group) => [group.outcome, group.requests])), { ok: 11, 'rate-limited': 1 });
			const byRevision = await store.usage.aggregate('acme', everything, ['revision']);
			assert.deepEqual(Object.fromEntries(byRevision.map((group) => [group.revision, group.requests])), { 3: 10, 4: 2 });
			const firstDay = await store.usage.aggregate('acme', { from: T0, to: T0 + 24 * HOUR, userId: 'u1' }, []);
			assert.equal(firstDay[0]?.requests, 3, "u1's first day only");
			const o3 = await store.usage.aggregate('acme', { ...everything, model: 'o3' }, ['caller', 'api']);
			assert.deepEqual(
				o3.map((group) => [group.caller, group.api, group.requests]),
				[['language-model', 'chat-completions', 1]],
			);
			assert.deepEqual(await store.usage.aggregate('other-org', everything, ['model']), [], 'another organization sees none of it');
		});

		it('sums what full queues dropped, and purges what is older than the retention', async () => {
			await report('u1', [bucket()], randomUUID(), 4);
			await report('u2', [], randomUUID(), 3);
			assert.equal(await store.usage.droppedRequests('acme', everything), 7);
			assert.equal(await store.usage.droppedRequests('acme', { ...everything, userId: 'u2' }), 3);
			assert.ok((await store.usage.purgeUsage(T0 + 2 * HOUR)) >= 3);
			assert.deepEqual(await store.usage.aggregate('acme', everything, ['model']), []);
			assert.equal(await store.usage.droppedRequests('acme', everything), 0);
		});
	});
}
