/**
 * Client overhead: chat completions through our client (openai SDK over the one undici
 * dispatcher, headers, credentials) against raw undici requests carrying the same bytes to the
 * same endpoint, measured in the same run.
 */
import { Agent, fetch as undiciFetch, request } from 'undici';
import { apiKeyCredential, createChatClient, createDispatcher, fetchThrough } from '../src/client';
import { mean, ms, percentile, report, runBench, smoke, startEndpoint, wallClock } from './support/common';

const COUNT = smoke ? 50 : 2000;
const WARMUP = smoke ? 10 : 200;
const KEY = 'sk-bench-key';
const HEADERS = { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' };
const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

interface Timing {
	total: number[];
	firstToken: number[];
}

async function measure(count: number, once: () => Promise<number | undefined>): Promise<Timing> {
	const timing: Timing = { total: [], firstToken: [] };
	for (let i = 0; i < count; i++) {
		const start = wallClock();
		const first = await once();
		timing.total.push(wallClock() - start);
		if (first !== undefined) {
			timing.firstToken.push(first - start);
		}
	}
	return timing;
}

async function main(): Promise<void> {
	const endpoint = await startEndpoint();
	try {
		const base = `${endpoint.url}/v1`;
		const client = createChatClient(
			{ baseUrl: base, headers: HEADERS, apiKeyRequired: true },
			{ fetch: fetchThrough(createDispatcher()), credentials: apiKeyCredential(async () => KEY) },
		);
		const raw = new Agent({ keepAliveTimeout: 30_000 });
		const rawHeaders = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${KEY}`, ...HEADERS };
		const rawPost = (stream: boolean) =>
			request(`${base}/chat/completions`, {
				method: 'POST',
				dispatcher: raw,
				headers: rawHeaders,
				body: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, ...(stream ? { stream: true } : {}) }),
			});

		const ours = {
			complete: async () => {
				await client.complete(MESSAGES, 'gpt-4o');
				return undefined;
			},
			stream: async () => {
				let first: number | undefined;
				for await (const _piece of client.streamChat(MESSAGES, 'gpt-4o')) {
					first ??= wallClock();
				}
				return first;
			},
		};
		const bare = {
			complete: async () => {
				const response = await rawPost(false);
				const body = (await response.body.json()) as { choices: { message: { content: string } }[] };
				if (!body.choices[0]?.message.content) {
					throw new Error('empty answer');
				}
				return undefined;
			},
			stream: async () => {
				const response = await rawPost(true);
				let first: number | undefined;
				let text = '';
				for await (const chunk of response.body) {
					text += String(chunk);
					if (first === undefined && text.includes('"content":"Hello"')) {
						first = wallClock();
					}
				}
				if (!text.includes('[DONE]')) {
					throw new Error('stream did not finish');
				}
				return first;
			},
		};

		// Where the time goes: the WHATWG fetch the SDK must use, on the same dispatcher type, same bytes.
		const fetchAgent = new Agent({ keepAliveTimeout: 30_000 });
		const viaFetch = async () => {
			const response = await undiciFetch(`${base}/chat/completions`, {
				method: 'POST',
				dispatcher: fetchAgent,
				headers: rawHeaders,
				body: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES }),
			});
			await response.json();
			return undefined;
		};
		await measure(WARMUP, viaFetch);
		await measure(WARMUP, bare.complete);
		await measure(WARMUP, ours.complete);
		await measure(WARMUP, bare.stream);
		await measure(WARMUP, ours.stream);
		const results = {
			rawComplete: await measure(COUNT, bare.complete),
			fetchComplete: await measure(COUNT, viaFetch),
			oursComplete: await measure(COUNT, ours.complete),
			rawStream: await measure(COUNT, bare.stream),
			oursStream: await measure(COUNT, ours.stream),
		};
		const ratio = (a: number[], b: number[]) => mean(a) / mean(b);
		const completeRatio = ratio(results.oursComplete.total, results.rawComplete.total);
		const streamRatio = ratio(results.oursStream.total, results.rawStream.total);
		const row = (name: string, ours: Timing, bareRun: Timing, withTtft: boolean) =>
			`| ${name} | ${ms(mean(ours.total))} | ${ms(percentile(ours.total, 99))} | ${ms(mean(bareRun.total))} | ${ms(percentile(bareRun.total, 99))} | ${ratio(ours.total, bareRun.total).toFixed(2)}× | ${withTtft ? `${ms(mean(ours.firstToken))} / ${ms(mean(bareRun.firstToken))}` : '—'} |`;
		report({
			name: 'client-overhead',
			markdown: [
				`${COUNT} sequential requests each (after ${WARMUP} warm-up), against a local endpoint in its own process; the raw baseline sends the same JSON body and headers through an undici Agent and reads the whole answer.`,
				'',
				'| request | ours mean | ours p99 | raw mean | raw p99 | ratio (mean) | time to first token, ours / raw |',
				'| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
				row('non-streaming', results.oursComplete, results.rawComplete, false),
				row('streaming', results.oursStream, results.rawStream, true),
				'',
				`For orientation: the same non-streaming request through undici's WHATWG \`fetch\` (which the openai SDK requires) takes ${ms(mean(results.fetchComplete.total))} on average, ${ratio(results.fetchComplete.total, results.rawComplete.total).toFixed(2)}× raw \`undici.request\`; our client is ${ratio(results.oursComplete.total, results.fetchComplete.total).toFixed(2)}× that fetch.`,
			].join('\n'),
			targets: [
				{ description: 'non-streaming request ≤ 1.10× raw undici', met: completeRatio <= 1.1, measured: `${completeRatio.toFixed(2)}×` },
				{ description: 'streamed request ≤ 1.10× raw undici', met: streamRatio <= 1.1, measured: `${streamRatio.toFixed(2)}×` },
			],
		});
	} finally {
		endpoint.stop();
	}
}

runBench(main);
