import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { apiKeyCredential, createChatClient, createDispatcher, fetchThrough, type CompletionEvent } from '../../src/client';
import type { FetchFunction } from '../../src/client';
import { PolicyTransport } from '../../src/extension/sync/transport';
import { UsageLedger } from '../../src/extension/usage/usage-ledger';
import { UsageMeter } from '../../src/extension/usage/usage-meter';
import { UsageReporter } from '../../src/extension/usage/usage-reporter';
import { FakeEndpoint } from '../support/fake-endpoint';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemoryKeyValueStore } from '../support/memory-storage';
import { ADMIN, bearer, jsonOf, ManualClock, startService } from '../support/service';

/** Text only the member's conversation holds: none of it may leave the machine except to the endpoint. */
const SECRETS = {
	prompt: 'ZEBRA-PROMPT-7731',
	file: '/home/dev/falcon-project/src/payroll.ts',
	workspace: 'falcon-project',
	tool: 'read_payroll_file',
	argument: 'QUOKKA-ARGUMENT-5512',
	answer: 'NARWHAL-ANSWER-0042',
};

/**
 * The privacy promise, end to end with the real client, meter, ledger, reporter and service:
 * requests carrying distinctive prompt text, file and workspace names, tool names and arguments
 * reach the endpoint, and none of it reaches the service's logs, its database, the report on the
 * wire or what the extension keeps for reporting.
 */
describe('usage reporting never carries content', function () {
	this.timeout(30_000);

	it('keeps prompts, answers, file and workspace names and tool arguments out of reports, service logs and the database', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-privacy-'));
		const logs: string[] = [];
		const logStream = new Writable({
			write(chunk, _encoding, done) {
				logs.push(String(chunk));
				done();
			},
		});
		const service = await startService({ dataDir, logger: { level: 'trace', stream: logStream } });
		const endpoint = await FakeEndpoint.start();
		try {
			await service.addUser('dev@acme.example', 'member');
			const { access_token: token } = await service.signIn('dev@acme.example');
			const client = createChatClient(
				{ baseUrl: `${endpoint.url}/v1`, headers: {}, apiKeyRequired: true },
				{ fetch: fetchThrough(createDispatcher({})), credentials: apiKeyCredential(async () => 'sk-member-key') },
			);
			const state = new MemoryKeyValueStore();
			const ledger = new UsageLedger(state, () => randomUUID());
			const meter = new UsageMeter({
				sink: ledger,
				context: () => ({ orgId: 'acme', revision: 1 }),
				now: () => Date.now(),
				countTokens: (_m, text) => text.length,
			});
			const messages = [
				{ role: 'system' as const, content: `You work in the ${SECRETS.workspace} workspace.` },
				{ role: 'user' as const, content: `Open ${SECRETS.file} and tell me ${SECRETS.prompt}` },
			];
			const tools = [
				{ type: 'function' as const, function: { name: SECRETS.tool, description: 'Reads a file', parameters: { type: 'object' } } },
			];
			const drain = async (events: AsyncIterable<CompletionEvent>) => {
				for await (const _event of events) {
					// read to the end
				}
			};
			endpoint.behaviour = { toolCalls: [{ id: 'call_1', name: SECRETS.tool, argumentPieces: [`{"path":"${SECRETS.argument}"}`] }] };
			const request = { model: 'gpt-4o', messages, tools };
			const prompt = () => JSON.stringify([messages, tools]);
			await drain(
				meter.measure({ caller: 'language-model', model: 'gpt-4o', api: 'chat-completions', prompt }, client.streamCompletion(request)),
			);
			endpoint.behaviour = { answer: [SECRETS.answer] };
			await drain(
				meter.measure({ caller: 'chat-view', model: 'gpt-4o', api: 'chat-completions', prompt }, client.streamCompletion(request)),
			);
			assert.ok(JSON.stringify(endpoint.requests.map((recorded) => recorded.body)).includes(SECRETS.prompt), 'the endpoint got the prompt');

			const reports: string[] = [];
			const recording: FetchFunction = async (input, init) => {
				reports.push(String(init?.body ?? ''));
				return fetch(input, init);
			};
			const transport = new PolicyTransport({
				connection: { serverUrl: service.url, fetch: recording },
				trust: { signingKey: { keyId: 'k', publicKey: 'x' } as never, organizationId: 'acme' },
				accessToken: async () => token,
				refresh: async () => false,
			});
			const reporter = new UsageReporter({
				ledger,
				scheduler: new ManualScheduler(new ManualClock()),
				target: () => ({ orgId: 'acme', transport, budgeted: false }),
				log: () => undefined,
			});
			assert.equal(await reporter.sendNow(), 'sent');
			reporter.dispose();
			await ledger.flush();
			const admin = (await service.signIn(ADMIN.email)).access_token;
			const counted = await jsonOf(await fetch(`${service.url}/api/v1/admin/usage?groupBy=caller`, { headers: bearer(admin) }));
			assert.equal(counted.groups.length, 2, 'both requests were reported');
			await service.close();

			const database = readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name)).toString('latin1'));
			const places: Record<string, string> = {
				'the reports on the wire': reports.join('\n'),
				"the service's log": logs.join(''),
				"the service's database files": database.join('\n'),
				'what the extension keeps for reporting': JSON.stringify([...state.values.values()]),
			};
			assert.ok(places["the service's log"]!.includes('/api/v1/usage'), 'the log did record the reports');
			for (const [place, text] of Object.entries(places)) {
				for (const [what, secret] of Object.entries(SECRETS)) {
					assert.ok(!text.includes(secret), `${what} (${secret}) found in ${place}`);
				}
			}
		} finally {
			await endpoint.close();
			await service.close().catch(() => undefined);
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
