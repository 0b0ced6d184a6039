/**
 * Policy reads: authenticated GET /api/v1/policy with If-None-Match (304) and without (200),
 * saturated by autocannon. Baseline, same run: a bare fastify route answering a constant.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceSignIn, ms, processCpu, report, root, smoke, startServiceProcess } from './support/common';

const ADMIN = { email: 'admin@acme.example', password: 'benchmark admin password' };
const DURATION = smoke ? 1 : 4;
/** Rounds of bare, 200, 304, bare: on a shared two-CPU machine throughput drifts by half within a minute, so each ratio is taken against the bare server measured around it, and the median of the rounds is reported. */
const ROUNDS = smoke ? 1 : 5;
const CONNECTIONS = 50;

/** `cpu`: the server process's CPU time per request, in µs (Linux, from /proc), or NaN where it cannot be read. */
type Run = { rps: number; p50: number; p99: number; non2xx: number; cpu: number };

/** A process's user + system CPU time so far, in µs. */
function cpuMicros(pid: number | undefined): number {
	const { user, system } = processCpu(pid);
	return user + system;
}

async function load(url: string, headers: Record<string, string>, pid: number | undefined): Promise<Run> {
	const before = cpuMicros(pid);
	const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers, pipelining: 1 });
	const cpu = (cpuMicros(pid) - before) / result.requests.total;
	return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, cpu };
}

async function bareFastify(): Promise<{ url: string; pid: number | undefined; stop: () => void }> {
	const script = `const app = require('fastify')(); const body = JSON.stringify({ constant: 'x'.repeat(900) }); app.get('/', async (_req, reply) => reply.type('application/json').send(body)); app.listen({ host: '127.0.0.1', port: 0 }).then((address) => console.log(address));`;
	const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
	const url = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk) => resolve(String(chunk).trim())));
	return { url, pid: child.pid, stop: () => child.kill() };
}

/** A fresh service process with its member signed in, and the reads' address and header. */
async function startService(): Promise<{ policy: string; auth: Record<string, string>; pid: number | undefined; stop: () => void }> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-reads-'));
	const { child, url } = await startServiceProcess(dataDir, 0, ADMIN);
	const stop = () => {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		const { access_token } = await deviceSignIn(url, ADMIN.email, ADMIN.password);
		return { policy: `${url}/api/v1/policy`, auth: { authorization: `Bearer ${access_token}` }, pid: child.pid, stop };
	} catch (error) {
		stop();
		throw error;
	}
}

/**
 * One round: a fresh bare fastify and a fresh service, warmed up, then bare, 200, 304, bare. Fresh
 * processes every round because a process keeps a speed of its own for its life — two processes of
 * the same code differed by up to ~7 µs per read (NOTES, session 35) — so the median is over several
 * pairs of processes, not one pair's luck.
 */
async function round(): Promise<{ bare: Run; full: Run; cached: Run }> {
	const bare = await bareFastify();
	let service: Awaited<ReturnType<typeof startService>> | undefined;
	try {
		service = await startService();
		// Warm both up (JIT, connection pools) before anything counts.
		await load(bare.url, {}, bare.pid);
		await load(service.policy, service.auth, service.pid);
		const before = await load(bare.url, {}, bare.pid);
		const full = await load(service.policy, service.auth, service.pid);
		const cached = await load(service.policy, { ...service.auth, 'if-none-match': '"1"' }, service.pid);
		const after = await load(bare.url, {}, bare.pid);
		if (full.non2xx > 0) {
			throw new Error(`${full.non2xx} reads without If-None-Match failed`);
		}
		return { bare: { ...before, rps: (before.rps + after.rps) / 2, cpu: (before.cpu + after.cpu) / 2 }, full, cached };
	} finally {
		bare.stop();
		service?.stop();
	}
}

async function main(): Promise<void> {
	const rounds: { bare: Run; full: Run; cached: Run }[] = [];
	for (let index = 0; index < ROUNDS; index++) {
		rounds.push(await round());
	}
	const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
	const ratio200 = median(rounds.map((r) => r.full.rps / r.bare.rps));
	const ratio304 = median(rounds.map((r) => r.cached.rps / r.bare.rps));
	const cpuBare = median(rounds.map((r) => r.bare.cpu));
	const cpu200 = median(rounds.map((r) => r.full.cpu));
	const cpu304 = median(rounds.map((r) => r.cached.cpu));
	const us = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} µs`);
	report({
		name: 'policy-reads',
		markdown: [
			`autocannon, ${CONNECTIONS} connections, ${DURATION} s per measurement; the service runs as its own process with SQLite (reads come from its in-memory copy of the newest revision, authenticated against the token table). ${ROUNDS} rounds, each with a fresh bare fastify process and a fresh service process (warmed up, then bare fastify, 200, 304, bare fastify); each ratio is against the mean of the bare runs around it, and the median round is reported.`,
			'',
			'| round | bare fastify (baseline) | GET /api/v1/policy → 200 | If-None-Match → 304 | 200 vs bare | 304 vs bare |',
			'| ---: | ---: | ---: | ---: | ---: | ---: |',
			...rounds.map(
				(r, index) =>
					`| ${index + 1} | ${Math.round(r.bare.rps)} | ${Math.round(r.full.rps)} (p99 ${ms(r.full.p99)}) | ${Math.round(r.cached.rps)} (p99 ${ms(r.cached.p99)}) | ${(r.full.rps / r.bare.rps).toFixed(2)}× | ${(r.cached.rps / r.bare.rps).toFixed(2)}× |`,
			),
			'',
			`Median: 200 at ${ratio200.toFixed(2)}×, 304 at ${ratio304.toFixed(2)}× bare fastify's requests per second.`,
			'',
			// The server has one of the machine's CPUs and autocannon the other: requests per second follow the server's CPU per request, which drifts far less than throughput does.
			`CPU time of the server process per request (median): bare fastify ${us(cpuBare)}, GET /api/v1/policy 200 ${us(cpu200)}, 304 ${us(cpu304)} — the service's CPU per read beyond bare fastify's is ${us(cpu200 - cpuBare)} (200) and ${us(cpu304 - cpuBare)} (304), where 0.9× would allow ${us(cpuBare / 0.9 - cpuBare)}${Math.min(cpu200, cpu304) < cpuBare ? " (a negative figure: less than bare fastify's, within the drift between rounds)" : ''}.`,
		].join('\n'),
		targets: [
			{
				description: "GET /api/v1/policy (200) ≥ 0.9× bare fastify's requests/s",
				met: ratio200 >= 0.9,
				measured: `${ratio200.toFixed(2)}×`,
			},
			{
				description: "GET /api/v1/policy with If-None-Match (304) ≥ 0.9× bare fastify's requests/s",
				met: ratio304 >= 0.9,
				measured: `${ratio304.toFixed(2)}×`,
			},
		],
	});
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
