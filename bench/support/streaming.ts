/** What the Language Model provider benchmarks share: timing a streamed answer, and the provider as the extension builds it. */
import { createDispatcher, fetchThrough } from '../../src/client';
import * as chatClientModule from '../../src/client/chat-client';
import { Emitter } from '../../src/extension/base/disposable';
import { ProviderService, type EntraModule, type ProviderHost } from '../../src/extension/provider/provider-service';
import { buildPolicyDocument, PolicySettingsSchema } from '../../src/policy';
import { MemoryKeyValueStore, MemorySecretStore } from '../../test/support/memory-storage';
import { mean, ms, percentile, wallClock } from './common';

export interface Timing {
	total: number[];
	firstToken: number[];
}

/** Times `count` sequential answers: to the first text part, and to the end. */
export async function measure(count: number, once: (onText: () => void) => Promise<void>): Promise<Timing> {
	const timing: Timing = { total: [], firstToken: [] };
	for (let i = 0; i < count; i++) {
		const start = wallClock();
		let first: number | undefined;
		await once(() => (first ??= wallClock()));
		timing.total.push(wallClock() - start);
		timing.firstToken.push((first ?? Number.NaN) - start);
	}
	return timing;
}

export function merge(timings: Timing[]): Timing {
	return { total: timings.flatMap((t) => t.total), firstToken: timings.flatMap((t) => t.firstToken) };
}

/** The header of the streamed-answer table, and one of its rows: first token and total, mean / p99. */
export const TIMING_HEADER = ['| path | time to first token (mean / p99) | total (mean / p99) |', '| --- | ---: | ---: |'];
export function timingRow(path: string, timing: Timing): string {
	const both = (values: number[]) => `${ms(mean(values))} / ${ms(percentile(values, 99))}`;
	return `| ${path} | ${both(timing.firstToken)} | ${both(timing.total)} |`;
}

/** The provider as the extension builds it, over its own dispatcher, with a policy in force and the member's key set. */
export async function providerWithPolicy(
	baseUrl: string,
	headers: Record<string, string>,
	models: Record<string, unknown>,
	key: string,
	meter?: ProviderHost['meter'],
): Promise<ProviderService> {
	const document = buildPolicyDocument(
		PolicySettingsSchema.parse({ enabled: true, provider: { id: 'openai-compatible', baseUrl, headers, models } }),
		{ organization: { id: 'acme', name: 'Acme Corp' }, revision: 2, updatedAt: new Date().toISOString(), updatedBy: 'bench' },
	);
	const providerFetch = fetchThrough(createDispatcher());
	const provider = new ProviderService(
		{ current: { policy: { document, source: 'live', receivedAt: 0 } }, onDidChangeState: new Emitter<unknown>().event },
		{
			secrets: new MemorySecretStore(),
			state: new MemoryKeyValueStore(),
			memberProvider: () => ({ preset: 'openai', baseUrl: undefined, headers: {} }),
			microsoftToken: async () => undefined,
			showMessage: () => undefined,
			logDetail: () => undefined,
			fetch: () => providerFetch,
			loadChatClient: () => chatClientModule,
			loadEntra: () => ({}) as EntraModule,
			...(meter ? { meter } : {}),
		},
	);
	await provider.setApiKey(key);
	return provider;
}
