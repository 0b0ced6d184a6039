/**
 * Propagation: an admin saves a revision; N members connected over SSE — each a real PolicySync
 * from the extension, spread over worker processes — receive, verify and apply it.
 * Baseline, same run: a bare Node HTTP server fanning one constant SSE event out to N connections.
 */
import { createServer, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Agent, fetch as undiciFetch } from 'undici';
import { PolicySync, type SyncSession } from '../src/extension/sync/policy-sync';
import { realScheduler } from '../src/extension/base/scheduler';
import { fetchThrough } from '../src/client';
import { deviceSignIn, form, forkWorker, mb, ms, percentile, report, rssOf, smoke, startServiceProcess, wallClock } from './support/common';
import { MemorySecretStore } from '../test/support/memory-storage';

const ADMIN = { email: 'admin@acme.example', password: 'benchmark admin password' };
const MEMBER = { email: 'dev@acme.example', password: 'benchmark member password' };

type WorkerMessage =
	| { type: 'ready' }
	| { type: 'applied'; times: number[] }
	| { type: 'error'; message: string };

// ── worker: K members, or K bare SSE readers ────────────────────────────────
async function worker(): Promise<void> {
	const [mode, url, target] = [process.argv[3]!, process.argv[4]!, Number(process.argv[5])];
	const tokens: string[] = JSON.parse(process.argv[6] ?? '[]');
	const count = Number(process.argv[7]);
	const signingKey = JSON.parse(process.argv[8] ?? 'null');
	const dispatcher = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
	const send = (message: WorkerMessage) => process.send!(message);
	const times: number[] = [];
	if (mode === 'members') {
		const memory = new Map<string, unknown>();
		const cache = { get: <T>(key: string) => memory.get(key) as T | undefined, update: async (key: string, value: unknown) => void memory.set(key, value) };
		const fetch = fetchThrough(dispatcher);
		let ready = 0;
		for (let i = 0; i < count; i++) {
			const token = tokens[i % tokens.length]!;
			const sync = new PolicySync({ state: cache, secrets: new MemorySecretStore() }, realScheduler);
			const session: SyncSession = {
				connection: { serverUrl: url, fetch },
				trust: { signingKey, organizationId: 'acme' },
				accessToken: async () => token,
				refresh: async () => false,
			};
			let seenFirst = false;
			let applied = false;
			sync.onDidChangeState((state) => {
				if (!state.policy) {
					return;
				}
				if (!seenFirst && state.status === 'in-sync') {
					seenFirst = true;
					if (++ready === count) {
						send({ type: 'ready' });
					}
				}
				if (state.policy.document.revision === target && !applied) {
					// Verified and applied (the report to the service follows, spread over two seconds).
					applied = true;
					times.push(wallClock());
					if (times.length === count) {
						send({ type: 'applied', times });
					}
				}
			});
			sync.start(session);
			if (i % 200 === 199) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		}
	} else {
		let ready = 0;
		for (let i = 0; i < count; i++) {
			void (async () => {
				const response = await undiciFetch(`${url}/events`, { dispatcher });
				if (++ready === count) {
					send({ type: 'ready' });
				}
				const decoder = new TextDecoder();
				let text = '';
				for await (const chunk of response.body!) {
					text += decoder.decode(chunk as Uint8Array, { stream: true });
					if (text.includes('\n\n')) {
						times.push(wallClock());
						if (times.length === count) {
							send({ type: 'applied', times });
						}
						break;
					}
				}
			})().catch((error: unknown) => send({ type: 'error', message: String(error) }));
			if (i % 200 === 199) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		}
	}
}

// ── orchestration ───────────────────────────────────────────────────────────
function waitAll(workers: ChildProcess[], type: 'ready' | 'applied', timeoutMs: number): Promise<number[]> {
	return new Promise((resolve, reject) => {
		const collected: number[] = [];
		let pending = workers.length;
		const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
		for (const child of workers) {
			const onMessage = (message: WorkerMessage) => {
				if (message.type === 'error') {
					clearTimeout(timer);
					reject(new Error(message.message));
				} else if (message.type === type) {
					child.off('message', onMessage);
					if (message.type === 'applied') {
						collected.push(...message.times);
					}
					if (--pending === 0) {
						clearTimeout(timer);
						resolve(collected);
					}
				}
			};
			child.on('message', onMessage);
		}
	});
}

function split(total: number, parts: number): number[] {
	return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0)).filter((n) => n > 0);
}

interface Run {
	n: number;
	latencies: number[];
	rss?: number;
}

async function measureOurs(n: number, workersCount: number): Promise<Run> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-prop-'));
	const { child, url } = await startServiceProcess(dataDir, 0, ADMIN);
	const workers: ChildProcess[] = [];
	try {
		const admin = await deviceSignIn(url, ADMIN.email, ADMIN.password);
		const created = await fetch(`${url}/api/v1/admin/members`, { method: 'POST', headers: { authorization: `Bearer ${admin.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...MEMBER, role: 'member' }) });
		if (created.status !== 201) {
			throw new Error(`could not add the member: ${created.status}`);
		}
		// One sign-in, then refreshes: each member session gets its own access token.
		let member = await deviceSignIn(url, MEMBER.email, MEMBER.password);
		const tokens = [member.access_token];
		const sessions = Math.min(n, 2000);
		while (tokens.length < sessions) {
			member = (await (await form(`${url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: member.refresh_token, client_id: 'vscode' })).json()) as typeof member;
			tokens.push(member.access_token);
		}
		const shares = split(n, workersCount);
		let offset = 0;
		for (const share of shares) {
			const slice = tokens.slice(offset % tokens.length, (offset % tokens.length) + Math.min(share, tokens.length));
			offset += share;
			workers.push(forkWorker(__filename, ['worker', 'members', url, '2', JSON.stringify(slice.length ? slice : tokens), String(share), JSON.stringify(member.policy_signing_key)]));
		}
		await waitAll(workers, 'ready', 300_000);
		const applied = waitAll(workers, 'applied', 120_000);
		const sent = wallClock();
		const saved = await fetch(`${url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: { authorization: `Bearer ${admin.access_token}`, 'content-type': 'application/json', 'if-match': '"1"' },
			body: JSON.stringify({ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', headers: { 'X-Tenant': 'acme' } } }),
		});
		if (saved.status !== 200) {
			throw new Error(`save failed: ${saved.status}`);
		}
		const times = await applied;
		const rss = rssOf(child.pid!);
		return { n, latencies: times.map((time) => time - sent), rss };
	} finally {
		workers.forEach((worker) => worker.kill());
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
}

async function measureBaseline(n: number, workersCount: number): Promise<Run> {
	const streams = new Set<ServerResponse>();
	const event = `id: 2\nevent: policy\ndata: ${JSON.stringify({ constant: 'x'.repeat(600) })}\n\n`;
	const server = createServer((request, response) => {
		if (request.url === '/events') {
			response.writeHead(200, { 'content-type': 'text/event-stream' });
			response.write(': open\n');
			streams.add(response);
			response.on('close', () => streams.delete(response));
		} else {
			response.end();
		}
	});
	server.maxConnections = n + 100;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
	const url = `http://127.0.0.2:${(server.address() as { port: number }).port}`;
	const workers = split(n, workersCount).map((share) => forkWorker(__filename, ['worker', 'bare', url, '0', '[]', String(share), 'null']));
	try {
		await waitAll(workers, 'ready', 300_000);
		await new Promise((resolve) => setTimeout(resolve, 200));
		const applied = waitAll(workers, 'applied', 120_000);
		const sent = wallClock();
		for (const stream of streams) {
			stream.write(event);
		}
		const times = await applied;
		return { n, latencies: times.map((time) => time - sent) };
	} finally {
		workers.forEach((worker) => worker.kill());
		for (const stream of streams) {
			stream.destroy();
		}
		server.close();
	}
}

async function main(): Promise<void> {
	const sizes = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : smoke ? [1, 20] : [1, 1000, 10_000];
	const workersCount = Math.max(1, Math.min(2, cpus().length));
	const rows: string[] = [];
	const targets: { description: string; met: boolean; measured: string }[] = [];
	for (const n of sizes) {
		const baseline = await measureBaseline(n, workersCount);
		const ours = await measureOurs(n, workersCount);
		const [b99, o99] = [percentile(baseline.latencies, 99), percentile(ours.latencies, 99)];
		rows.push(
			`| ${n} | ${ms(percentile(ours.latencies, 50))} | ${ms(o99)} | ${ms(Math.max(...ours.latencies))} | ${ms(percentile(baseline.latencies, 50))} | ${ms(b99)} | ${ms(Math.max(...baseline.latencies))} | ${(o99 / b99).toFixed(2)}× | ${mb(ours.rss ?? Number.NaN)} |`,
		);
		if (n === sizes[sizes.length - 1]) {
			targets.push({ description: `p99 at ${n} members within 1.5× of the bare fan-out's p99`, met: o99 <= 1.5 * b99, measured: `${(o99 / b99).toFixed(2)}×` });
			targets.push({ description: `service RSS ≤ 300 MB at ${n} members`, met: (ours.rss ?? Infinity) <= 300 * 1024 * 1024, measured: mb(ours.rss ?? Number.NaN) });
		}
	}
	report({
		name: 'propagation',
		markdown: [
			`Members are real \`PolicySync\` instances (fetch with ETag, SSE, Ed25519 verification, schema validation, cache, then the applied-revision report spread over 2 s) in ${workersCount} worker processes; the service runs as its own process (\`dist/server.js\`, SQLite). t0 is the moment the admin's PUT is sent (members may apply before the PUT's response arrives, since the fan-out starts inside the save). Baseline: a bare \`node:http\` server writing one constant SSE event to the same number of raw undici streams.`,
			'',
			'| members | p50 | p99 | max | bare p50 | bare p99 | bare max | p99 ratio | service RSS |',
			'| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
			...rows,
		].join('\n'),
		targets,
	});
}

if (process.argv[2] === 'worker') {
	void worker();
} else {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}
