import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CompletionEvent } from '../../src/client/completion';
import { ChatRequestError } from '../../src/client/request-error';
import { UsageReportSchema } from '../../src/policy';
import { UsageLedger, type CountedRequest } from '../../src/extension/usage/usage-ledger';
import { UsageMeter, type MeteredRequest } from '../../src/extension/usage/usage-meter';
import { BudgetGuard } from '../../src/extension/usage/budget-guard';
import { MementoLikeVsCode, MemoryKeyValueStore } from '../support/memory-storage';

const T0 = Date.parse('2026-12-02T10:15:00.000Z');

describe('usage counted at the source (UsageMeter, UsageLedger)', () => {
	let now: number;
	let counted: { orgId: string; request: CountedRequest }[];
	let reporting: boolean;
	const meter = () =>
		new UsageMeter({
			sink: { add: (orgId, request) => void counted.push({ orgId, request }) },
			context: () => (reporting ? { orgId: 'acme', revision: 7 } : undefined),
			now: () => now,
			countTokens: (_model, text) => text.length,
		});
	const request: MeteredRequest = { caller: 'language-model', model: 'gpt-4o', api: 'chat-completions', prompt: () => 'SECRET PROMPT' };

	async function* answer(events: CompletionEvent[], failure?: Error): AsyncGenerator<CompletionEvent> {
		for (const event of events) {
			now += 100;
			yield event;
		}
		if (failure) {
			throw failure;
		}
	}
	const drain = async (stream: AsyncIterable<CompletionEvent>) => {
		const seen: CompletionEvent[] = [];
		for await (const event of stream) {
			seen.push(event);
		}
		return seen;
	};

	beforeEach(() => {
		now = T0;
		counted = [];
		reporting = true;
	});

	it('counts the tokens the endpoint reported, the time to first token and the total, under the revision in force', async () => {
		const events: CompletionEvent[] = [
			{ type: 'text', text: 'Hel' },
			{ type: 'text', text: 'lo' },
			{ type: 'end', reason: 'stop', usage: { input: 12, output: 3, cached: 4, reasoning: 1 } },
		];
		assert.deepEqual(await drain(meter().measure(request, answer(events))), events, 'the caller sees every event unchanged');
		assert.deepEqual(counted, [
			{
				orgId: 'acme',
				request: {
					hour: '2026-12-02T10:00:00.000Z',
					model: 'gpt-4o',
					api: 'chat-completions',
					caller: 'language-model',
					outcome: 'ok',
					revision: 7,
					inputTokens: 12,
					outputTokens: 3,
					cachedTokens: 4,
					reasoningTokens: 1,
					estimatedRequests: 0,
					firstTokenRequests: 1,
					firstTokenMs: 100,
					durationMs: 300,
				},
			},
		]);
	});

	it('counts tokens here, and says so, when the endpoint reports none', async () => {
		await drain(
			meter().measure(
				request,
				answer([
					{ type: 'text', text: 'four' },
					{ type: 'end', reason: 'stop' },
				]),
			),
		);
		assert.equal(counted[0]?.request.inputTokens, 'SECRET PROMPT'.length);
		assert.equal(counted[0]?.request.outputTokens, 4);
		assert.equal(counted[0]?.request.estimatedRequests, 1);
	});

	it("counts a reasoning model's streamed thinking as output and as reasoning, not as the answer's first token", async () => {
		await drain(
			meter().measure(
				request,
				answer([
					{ type: 'reasoning', text: 'think' },
					{ type: 'text', text: 'four' },
					{ type: 'end', reason: 'stop' },
				]),
			),
		);
		const controller = new AbortController();
		for await (const event of meter().measure(
			request,
			answer([
				{ type: 'reasoning', text: 'hmm' },
				{ type: 'text', text: 'x' },
			]),
			controller.signal,
		)) {
			assert.equal(event.type, 'reasoning');
			break; // stopped while the model thought: what it thought is still billed
		}
		assert.deepEqual(
			counted.map(({ request: counts }) => [
				counts.outcome,
				counts.outputTokens,
				counts.reasoningTokens,
				counts.firstTokenRequests,
				counts.estimatedRequests,
			]),
			[
				['ok', 'think'.length + 'four'.length, 'think'.length, 1, 1],
				['cancelled', 'hmm'.length, 'hmm'.length, 0, 1],
			],
		);
	});

	it('records how a request ended: the failure kind, stopped by the member, a failure of no known kind', async () => {
		await assert.rejects(drain(meter().measure(request, answer([], new ChatRequestError('rate-limited', 'Too many requests')))));
		await assert.rejects(
			drain(meter().measure(request, answer([{ type: 'text', text: 'par' }], new ChatRequestError('interrupted', 'cut')))),
		);
		await assert.rejects(drain(meter().measure(request, answer([], new TypeError('surprise')))));
		const controller = new AbortController();
		const stream = meter().measure(
			request,
			answer([
				{ type: 'text', text: 'a' },
				{ type: 'text', text: 'b' },
				{ type: 'end', reason: 'stop' },
			]),
			controller.signal,
		);
		for await (const event of stream) {
			assert.equal(event.type, 'text');
			break; // the caller stops reading: cancelled
		}
		assert.deepEqual(
			counted.map(({ request: counts }) => [counts.outcome, counts.firstTokenRequests, counts.inputTokens, counts.estimatedRequests]),
			[
				['rate-limited', 0, 0, 0],
				['interrupted', 1, 'SECRET PROMPT'.length, 1],
				['other', 0, 0, 0],
				['cancelled', 1, 'SECRET PROMPT'.length, 1],
			],
		);
	});

	it('counts nothing while the policy does not ask for usage', async () => {
		reporting = false;
		await drain(meter().measure(request, answer([{ type: 'end', reason: 'stop' }])));
		assert.deepEqual(counted, []);
	});

	it('keeps hourly buckets across a restart, seals them into reports the service schema takes, and counts what a full queue drops', async () => {
		const state = new MemoryKeyValueStore();
		const ledger = new UsageLedger(state, () => randomUUID(), 3);
		const one = (change: Partial<CountedRequest>): CountedRequest => ({
			hour: '2026-12-02T10:00:00.000Z',
			model: 'gpt-4o',
			api: 'chat-completions',
			caller: 'chat-view',
			outcome: 'ok',
			revision: 7,
			inputTokens: 10,
			outputTokens: 2,
			cachedTokens: 0,
			reasoningTokens: 0,
			estimatedRequests: 0,
			firstTokenRequests: 1,
			firstTokenMs: 50,
			durationMs: 80,
			...change,
		});
		ledger.add('acme', one({}));
		ledger.add('acme', one({}));
		ledger.add('acme', one({ model: 'o3' }));
		// VS Code closes the window: what it counted is sealed for the next window to send.
		await ledger.close();

		const restarted = new UsageLedger(state, () => randomUUID(), 3);
		assert.deepEqual(
			restarted
				.view('acme')
				.pending.flatMap((report) => report.buckets.map((bucket) => [bucket.model, bucket.requests, bucket.inputTokens])),
			[
				['gpt-4o', 2, 20],
				['o3', 1, 10],
			],
		);
		assert.equal(restarted.view('acme').open.length, 0);
		restarted.seal('acme', T0);
		restarted.add('acme', one({ outcome: 'timeout' }));
		restarted.add('acme', one({ outcome: 'tls' })); // the fourth bucket: over the limit of 3
		restarted.seal('acme', T0 + 1);
		const [first, second] = restarted.view('acme').pending;
		assert.ok(UsageReportSchema.safeParse({ ...first, sealedAt: undefined }).success === false, 'sealedAt stays on this machine');
		const { sealedAt: _sealedAt, ...body } = first!;
		assert.ok(UsageReportSchema.safeParse(body).success, JSON.stringify(body));
		assert.deepEqual([second?.buckets.length, second?.droppedRequests], [1, 1]);
		assert.doesNotMatch(JSON.stringify([...state.values.values()]), /SECRET/);

		restarted.settle('acme', first!.batchId, 'taken', T0 + 2);
		restarted.settle('acme', second!.batchId, 'refused', T0 + 3);
		assert.equal(restarted.nextPending('acme'), undefined);
		assert.equal(restarted.view('acme').droppedRequests, 2, 'a refused report is counted as dropped in the next one');
		assert.deepEqual(
			restarted.view('acme').sent.map((sent) => sent.requests),
			[3],
		);
	});
});

describe("the budget's unsent tokens across windows (UsageLedger.unsentTokens)", () => {
	const DECEMBER = Date.parse('2026-12-01T00:00:00.000Z');
	const used = (hour: string, inputTokens: number): CountedRequest => ({
		hour,
		model: 'gpt-4o',
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 1,
		inputTokens,
		outputTokens: 1,
		cachedTokens: 0,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 0,
		firstTokenMs: 0,
		durationMs: 10,
	});

	// Global state as VS Code keeps it: the same object until a write replaces it, which the sums rely on.
	it('adds up every open window, this month only, and follows each change: a count, a seal, a report taken, another window writing', async () => {
		const state = new MementoLikeVsCode();
		const window = (id: string) => new UsageLedger(state, () => randomUUID(), 100, { id, now: () => T0 });
		const mine = window('mine');
		const other = window('other');
		other.add('acme', used('2026-11-30T23:00:00.000Z', 1000)); // last month: not this month's budget
		other.add('acme', used('2026-12-02T09:00:00.000Z', 10));
		other.seal('acme', T0);
		await other.flush();
		assert.equal(mine.unsentTokens('acme', DECEMBER), 11);
		mine.add('acme', used('2026-12-02T10:00:00.000Z', 100));
		assert.equal(mine.unsentTokens('acme', DECEMBER), 112, 'a count of its own, at once');
		mine.seal('acme', T0);
		assert.equal(mine.unsentTokens('acme', DECEMBER), 112, 'sealed into a report, still unsent');
		mine.settle('acme', mine.nextPending('acme')!.batchId, 'taken', T0);
		assert.equal(mine.unsentTokens('acme', DECEMBER), 11, 'taken by the service: no longer unsent');
		other.add('acme', used('2026-12-02T10:00:00.000Z', 5));
		await other.flush();
		assert.equal(mine.unsentTokens('acme', DECEMBER), 17, "the other window's write is seen");
		assert.equal(mine.unsentTokens('acme', Date.parse('2026-11-01T00:00:00.000Z')), 1018, 'asked from another month start');
		assert.equal(mine.unsentTokens('acme', DECEMBER), 17);
		other.settle('acme', other.nextPending('acme')!.batchId, 'taken', T0);
		await other.flush();
		assert.equal(mine.unsentTokens('acme', DECEMBER), 6);
		assert.equal(mine.unsentTokens('acme', Date.parse('2026-11-01T00:00:00.000Z')), 6, 'from another month start, after the change');
		await other.close();
		assert.equal(mine.unsentTokens('acme', DECEMBER), 0, 'a closed window is no longer counted as open…');
		mine.seal('acme', T0);
		assert.equal(mine.unsentTokens('acme', DECEMBER), 6, '…until this window takes its counts over');
	});
});

describe('the monthly token budget (BudgetGuard)', () => {
	const JUNE = Date.parse('2026-06-20T12:00:00.000Z');
	let now: number;
	let unsent: number;
	let notices: string[];
	const guard = (state = new MemoryKeyValueStore()) =>
		new BudgetGuard({
			ledger: { unsentTokens: () => unsent },
			state,
			now: () => now,
			owner: () => ({ organization: 'Acme Corp', adminContact: 'ai-platform@acme.example' }),
			notify: (message) => void notices.push(message),
		});
	const standing = (usedTokens: number, enforcement: 'soft' | 'hard', allowance = 1000) => ({
		month: '2026-06',
		resetsAt: '2026-07-01T00:00:00.000Z',
		usedTokens,
		allowance,
		enforcement,
	});

	beforeEach(() => {
		now = JUNE;
		unsent = 0;
		notices = [];
	});

	it('refuses with one sentence naming the admin contact once a hard budget is used up, counting what is not reported yet', () => {
		const budget = guard();
		budget.update('acme', standing(900, 'hard'));
		assert.equal(budget.refusal('acme'), undefined);
		assert.deepEqual(notices, ["You have used 90% of your monthly allowance of 1,000 tokens for Acme Corp's models."]);
		unsent = 100; // counted here since the service answered
		assert.equal(
			budget.refusal('acme'),
			"You have used your monthly allowance of 1,000 tokens for Acme Corp's models; it renews on July 1, 2026 (UTC), or ask ai-platform@acme.example to raise it. Until then, requests to its models are refused.",
		);
		budget.check('acme');
		budget.check('acme');
		assert.equal(notices.length, 2, 'each threshold is told once');
		budget.update('acme', standing(1000, 'hard', 5000)); // an admin raised it
		assert.equal(budget.refusal('acme'), undefined);
		now = Date.parse('2026-07-01T00:00:01.000Z');
		budget.update('acme', standing(4000, 'hard', 5000));
		assert.equal(budget.measure('acme')?.used, 100, 'a new month: what the service counted was last month');
	});

	it('only tells the member under a soft budget, and not again after a restart', () => {
		const state = new MemoryKeyValueStore();
		guard(state).update('acme', standing(1200, 'soft'));
		assert.equal(guard(state).refusal('acme'), undefined);
		assert.equal(notices.length, 1);
		assert.match(notices[0]!, /^You have used your monthly allowance of 1,000 tokens/);
		guard(state).update('acme', standing(1300, 'soft'));
		assert.equal(notices.length, 1, 'remembered across a restart');
	});

	it('never sends a refused request, and counts it as refused by the budget', async () => {
		const counted: CountedRequest[] = [];
		let read = false;
		const meter = new UsageMeter({
			sink: { add: (_orgId, request) => void counted.push(request) },
			context: () => ({ orgId: 'acme', revision: 3 }),
			now: () => now,
			countTokens: () => 1,
			refusal: () => 'Used up.',
		});
		async function* never(): AsyncGenerator<CompletionEvent> {
			read = true;
			yield { type: 'end', reason: 'stop' };
		}
		const request: MeteredRequest = { caller: 'chat-view', model: 'gpt-4o', api: 'chat-completions', prompt: () => '' };
		await assert.rejects(
			(async () => {
				for await (const _event of meter.measure(request, never())) {
					// nothing arrives
				}
			})(),
			(error: unknown) => error instanceof ChatRequestError && error.kind === 'budget' && error.message === 'Used up.',
		);
		assert.equal(read, false, 'the endpoint was never asked');
		assert.deepEqual(
			counted.map((request) => [request.outcome, request.inputTokens]),
			[['budget', 0]],
		);
	});
});
