/**
 * A model only the Responses API serves, through the Language Model provider (VS Code messages
 * translated to Responses input, the policy's parameters, events back to parts) against the bare
 * `openai` SDK's `responses` stream of the same request to the same local endpoint, in one run.
 */
import OpenAI from 'openai';
import { createDispatcher, fetchThrough } from '../src/client';
import { Emitter } from '../src/extension/base/disposable';
import { respond, ROLE, toChatMessages } from '../src/extension/lm/messages';
import { mean, report, runBench, smoke, startEndpoint } from './support/common';
import { measure, merge, providerWithPolicy, TIMING_HEADER, timingRow } from './support/streaming';

const COUNT = smoke ? 30 : 2000;
const WARMUP = smoke ? 5 : 200;
const KEY = 'sk-bench-key';
const HEADERS = { 'X-Tenant': 'acme' };
const MODEL = 'gpt-5.2-codex';

async function main(): Promise<void> {
	const endpoint = await startEndpoint();
	try {
		const baseUrl = `${endpoint.url}/v1`;
		const sdk = new OpenAI({
			baseURL: baseUrl,
			apiKey: KEY,
			defaultHeaders: HEADERS,
			fetch: fetchThrough(createDispatcher()),
			maxRetries: 0,
		});
		const provider = await providerWithPolicy(
			baseUrl,
			HEADERS,
			{ allowed: [MODEL], settings: { [MODEL]: { api: 'responses', maxOutputTokens: 4096 } } },
			KEY,
		);
		const vscodeMessages = [{ role: ROLE.user, content: [{ value: 'Say hello' }], name: undefined }];
		const token = { isCancellationRequested: false, onCancellationRequested: new Emitter<void>().event };

		const bare = async (onText: () => void) => {
			const stream = await sdk.responses.create(
				{ model: MODEL, input: [{ role: 'user', content: 'Say hello' }], max_output_tokens: 4096, store: false, stream: true },
				{ signal: new AbortController().signal },
			);
			for await (const event of stream) {
				if (event.type === 'response.output_text.delta') {
					onText();
				}
			}
		};
		const throughProvider = async (onText: () => void) => {
			const request = { model: MODEL, messages: toChatMessages(vscodeMessages), tools: [], toolChoice: 'auto' as const, asked: undefined };
			await respond((signal) => provider.stream(request, signal), token, { text: onText, toolCall: () => undefined });
		};

		await measure(WARMUP, bare);
		await measure(WARMUP, throughProvider);
		// Interleaved halves, so a slow stretch of the machine falls on both sides.
		const half = Math.ceil(COUNT / 2);
		const runs = { bare: [await measure(half, bare)], provider: [await measure(half, throughProvider)] };
		runs.provider.push(await measure(half, throughProvider));
		runs.bare.push(await measure(half, bare));
		const ours = merge(runs.provider);
		const base = merge(runs.bare);
		const ttft = mean(ours.firstToken) / mean(base.firstToken);
		const total = mean(ours.total) / mean(base.total);
		provider.dispose();
		report({
			name: 'responses',
			markdown: [
				`${COUNT} sequential streamed Responses-API answers each (after ${WARMUP} warm-up) from a local endpoint in its own process.`,
				'',
				...TIMING_HEADER,
				timingRow('through the Language Model provider', ours),
				timingRow('bare `openai` SDK `responses` stream (baseline)', base),
			].join('\n'),
			targets: [
				{ description: 'time to first token through the provider ≤ 1.10× the bare SDK', met: ttft <= 1.1, measured: `${ttft.toFixed(2)}×` },
				{ description: 'total time through the provider ≤ 1.10× the bare SDK', met: total <= 1.1, measured: `${total.toFixed(2)}×` },
			],
		});
	} finally {
		endpoint.stop();
	}
}

runBench(main);
