/**
 * The Language Model provider's own cost: a streamed answer requested the way VS Code hands a
 * request to the provider (VS Code messages translated, the policy's per-model parameters, the
 * cancellation token wired to the HTTP request, parts reported one by one) against the bare client
 * streaming the same request from the same local endpoint, in the same run. VS Code's own RPC
 * between extensions is outside what the provider controls and outside this figure.
 */
import { apiKeyCredential, createChatClient, createDispatcher, fetchThrough } from '../src/client';
import { Emitter } from '../src/extension/base/disposable';
import { respond, ROLE, toChatMessages } from '../src/extension/lm/messages';
import { randomUUID } from 'node:crypto';
import { UsageLedger } from '../src/extension/usage/usage-ledger';
import { UsageMeter } from '../src/extension/usage/usage-meter';
import { MemoryKeyValueStore } from '../test/support/memory-storage';
import { mean, report, runBench, smoke, startEndpoint, wallClock } from './support/common';
import { budgetedMeter } from './support/budgeted-meter';
import { measure, merge, providerWithPolicy, TIMING_HEADER, timingRow } from './support/streaming';

const COUNT = smoke ? 30 : 2000;
const WARMUP = smoke ? 5 : 200;
const KEY = 'sk-bench-key';
const HEADERS = { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' };
/** The budgeted variant's other windows and the unsent buckets each holds (a few days offline, busy). */
const OTHER_WINDOWS = 3;
const BUCKETS_EACH = 1000;

async function main(): Promise<void> {
	const endpoint = await startEndpoint();
	try {
		const baseUrl = `${endpoint.url}/v1`;
		const dispatcher = createDispatcher();
		const bareClient = createChatClient(
			{ baseUrl, headers: HEADERS, apiKeyRequired: true },
			{ fetch: fetchThrough(dispatcher), credentials: apiKeyCredential(async () => KEY) },
		);

		// The provider as the extension builds it, over the same kind of dispatcher, with a policy in force.
		const provider = await providerWithPolicy(
			baseUrl,
			HEADERS,
			{ allowed: ['gpt-4o'], settings: { 'gpt-4o': { maxOutputTokens: 4096 } } },
			KEY,
		);
		// The same provider counting every request for the usage report (the endpoint reports usage, as asked).
		const ledger = new UsageLedger(new MemoryKeyValueStore(), () => randomUUID());
		const meter = new UsageMeter({
			sink: ledger,
			context: () => ({ orgId: 'acme', revision: 2 }),
			now: wallClock,
			countTokens: (_model, text) => Math.ceil(text.length / 4),
		});
		const counting = await providerWithPolicy(
			baseUrl,
			HEADERS,
			{ allowed: ['gpt-4o'], settings: { 'gpt-4o': { maxOutputTokens: 4096 } } },
			KEY,
			meter,
		);
		// Counting under a hard budget, while other windows hold unsent counts the budget must add up.
		const budgeted = await budgetedMeter('acme', OTHER_WINDOWS, BUCKETS_EACH);
		const budgetedProvider = await providerWithPolicy(
			baseUrl,
			HEADERS,
			{ allowed: ['gpt-4o'], settings: { 'gpt-4o': { maxOutputTokens: 4096 } } },
			KEY,
			budgeted.meter,
		);
		const vscodeMessages = [{ role: ROLE.user, content: [{ value: 'Say hello' }], name: undefined }];
		const token = { isCancellationRequested: false, onCancellationRequested: new Emitter<void>().event };

		// The baseline can be cancelled too (as every assistant's request can): the openai SDK's own
		// abort handling costs the same on both sides. Without a signal, for reference, below.
		const bareWith = (signal: () => AbortSignal | undefined) => async (onText: () => void) => {
			for await (const event of bareClient.streamCompletion(
				{ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] },
				signal(),
			)) {
				if (event.type === 'text') {
					onText();
				}
			}
		};
		const bare = bareWith(() => new AbortController().signal);
		const bareUncancellable = bareWith(() => undefined);
		const through = (service: typeof provider) => async (onText: () => void) => {
			const request = {
				model: 'gpt-4o',
				messages: toChatMessages(vscodeMessages),
				tools: [],
				toolChoice: 'auto' as const,
				asked: undefined,
			};
			await respond((signal) => service.stream(request, signal, 'language-model'), token, { text: onText, toolCall: () => undefined });
		};
		const throughProvider = through(provider);
		const throughCounting = through(counting);
		const throughBudgeted = through(budgetedProvider);

		await measure(WARMUP, bare);
		await measure(WARMUP, throughProvider);
		await measure(WARMUP, throughCounting);
		await measure(WARMUP, throughBudgeted);
		// Interleaved halves, so a slow stretch of the machine falls on both sides.
		const half = Math.ceil(COUNT / 2);
		const runs = {
			bare: [await measure(half, bare)],
			provider: [await measure(half, throughProvider)],
			uncancellable: [await measure(half, bareUncancellable)],
			counting: [await measure(half, throughCounting)],
			budgeted: [await measure(half, throughBudgeted)],
		};
		runs.budgeted.push(await measure(half, throughBudgeted));
		runs.counting.push(await measure(half, throughCounting));
		runs.uncancellable.push(await measure(half, bareUncancellable));
		runs.provider.push(await measure(half, throughProvider));
		runs.bare.push(await measure(half, bare));
		const ours = merge(runs.provider);
		const base = merge(runs.bare);
		const uncancellable = merge(runs.uncancellable);
		const ttft = mean(ours.firstToken) / mean(base.firstToken);
		const total = mean(ours.total) / mean(base.total);
		const counted = merge(runs.counting);
		// What counting adds to each request, as a share of the time to first token without it.
		const addedFirstToken = (mean(counted.firstToken) - mean(ours.firstToken)) / mean(ours.firstToken);
		const addedTotal = mean(counted.total) - mean(ours.total);
		const withBudget = merge(runs.budgeted);
		// What the budget's checks add to a counted request, as a share of its time to first token.
		const budgetFirstToken = (mean(withBudget.firstToken) - mean(counted.firstToken)) / mean(counted.firstToken);
		const countedRequests = ledger.view('acme').open.reduce((sum, bucket) => sum + bucket.requests, 0);
		provider.dispose();
		counting.dispose();
		budgetedProvider.dispose();
		report({
			name: 'lm-provider',
			markdown: [
				`${COUNT} sequential streamed answers each (after ${WARMUP} warm-up) from a local endpoint in its own process.`,
				'',
				...TIMING_HEADER,
				timingRow('through the Language Model provider', ours),
				timingRow('through the provider, every request counted for the usage report', counted),
				timingRow(`the same, under a hard budget, ${OTHER_WINDOWS} other windows holding ${BUCKETS_EACH} unsent buckets each`, withBudget),
				timingRow('bare client, cancellable (baseline)', base),
				timingRow('bare client without an abort signal (reference)', uncancellable),
				'',
				`Usage counting (${countedRequests} requests counted, in ${ledger.view('acme').open.length} hourly bucket): ${addedFirstToken > 0 ? `adds ${(addedFirstToken * 100).toFixed(2)}% to the time to first token` : `no measurable addition to the time to first token (${(addedFirstToken * 100).toFixed(2)}%, within the run's noise)`}, ${addedTotal > 0 ? `${(addedTotal * 1000).toFixed(0)} µs` : 'nothing measurable'} added to the total.`,
				'',
				`The budget, checked before and after each request against every window's unsent tokens: ${budgetFirstToken > 0 ? `adds ${(budgetFirstToken * 100).toFixed(2)}% (${((mean(withBudget.firstToken) - mean(counted.firstToken)) * 1000).toFixed(0)} µs) to the counted request's time to first token` : `no measurable addition to the counted request's time to first token (${(budgetFirstToken * 100).toFixed(2)}%, within the run's noise)`}; VS Code's global state hands back the same object until a window writes, so each window's sum is worked out once per write, not per request.`,
				'',
				`Against the uncancellable reference the provider takes ${(mean(ours.total) / mean(uncancellable.total)).toFixed(2)}× (total): the openai SDK's handling of an abort signal, which any cancellable request pays.`,
			].join('\n'),
			targets: [
				{
					description: 'time to first token through the provider ≤ 1.10× the bare client',
					met: ttft <= 1.1,
					measured: `${ttft.toFixed(2)}×`,
				},
				{ description: 'total time through the provider ≤ 1.10× the bare client', met: total <= 1.1, measured: `${total.toFixed(2)}×` },
				{
					description: 'usage counting adds ≤ 1% to the time to first token',
					met: addedFirstToken <= 0.01,
					measured: `${(addedFirstToken * 100).toFixed(2)}%`,
				},
				{
					description: `a hard budget, with ${OTHER_WINDOWS} other windows' unsent counts to add up, adds ≤ 1% to a counted request's time to first token`,
					met: budgetFirstToken <= 0.01,
					measured: `${(budgetFirstToken * 100).toFixed(2)}%`,
				},
			],
		});
	} finally {
		endpoint.stop();
	}
}

runBench(main);
