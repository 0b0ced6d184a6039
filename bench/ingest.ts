/**
 * Usage ingest: members' extensions each report once a minute. With N members that is N/60
 * reports a second, each one transaction adding two hourly buckets. Measured on the built service
 * as its own process (SQLite): the most reports a second it sustains, against the policy reads a
 * second it sustains in the same run (the baseline: the cheapest authenticated route); then N/60
 * reports a second for a while, with the service's CPU share, RSS and latency.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hourOf } from '../src/policy';
import { hashSecret, newId, newSecret } from '../src/server/crypto';
import { openSqliteStore } from '../src/server/store/sqlite';
import { signInToken } from '../test/support/records';
import { BENCH_ADMIN, deviceSignIn, mb, ms, report, rssOf, smoke, startServiceProcess } from './support/common';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? (smoke ? 200 : 10_000));
const SATURATE_SECONDS = smoke ? 1 : 10;
const PACED_SECONDS = smoke ? 2 : 60;
const CONNECTIONS = 20;

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The members, each with an access token, written through the service's own store before it starts. */
async function seedMembers(dataDir: string, count: number): Promise<string[]> {
	const store = await openSqliteStore(dataDir);
	const tokens: string[] = [];
	const now = Date.now();
	try {
		for (let index = 0; index < count; index++) {
			const id = newId();
			await store.createUser({
				id,
				orgId: 'acme',
				email: `member${index}@acme.example`,
				role: 'member',
				passwordHash: null,
				createdAt: now,
				lastSeenAt: null,
				appliedRevision: 1,
				appliedAt: now,
				deactivatedAt: null,
				externalId: null,
				breakGlass: false,
				policySchema: null,
			});
			const token = newSecret('opp_at');
			await store.insertTokens([signInToken(id, hashSecret(token), { kind: 'access', familyId: newId(), now })]);
			tokens.push(token);
		}
	} finally {
		await store.close();
	}
	return tokens;
}

/** A member's minute: two models' hourly buckets. */
function reportBody(): string {
	const bucket = (model: string, requests: number) => ({
		hour: hourOf(Date.now()),
		model,
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 1,
		requests,
		inputTokens: 1800 * requests,
		outputTokens: 400 * requests,
		cachedTokens: 600 * requests,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: requests,
		firstTokenMs: 450 * requests,
		durationMs: 2200 * requests,
	});
	return JSON.stringify({ batchId: randomUUID(), buckets: [bucket('gpt-4o', 3), bucket('gpt-4o-mini', 1)], droppedRequests: 0 });
}

interface Run {
	rps: number;
	p50: number;
	p99: number;
	failed: number;
	cpu: number;
	rss: number;
}

/** autocannon against one route, each request as the next member (and, for reports, with a new report id). */
async function run(
	url: string,
	tokens: string[],
	options: { path: string; report: boolean; seconds: number; rate?: number },
	pid: number,
): Promise<Run> {
	let next = 0;
	const cpuBefore = cpuSeconds(pid);
	const started = Date.now();
	const result = await autocannon({
		url: `${url}${options.path}`,
		connections: CONNECTIONS,
		duration: options.seconds,
		...(options.rate ? { overallRate: options.rate } : {}),
		requests: [
			{
				method: options.report ? 'POST' : 'GET',
				setupRequest: (request) => ({
					...request,
					headers: {
						authorization: `Bearer ${tokens[next++ % tokens.length]}`,
						...(options.report ? { 'content-type': 'application/json' } : {}),
					},
					...(options.report ? { body: reportBody() } : {}),
				}),
			},
		],
	});
	const wall = (Date.now() - started) / 1000;
	return {
		rps: result.requests.average,
		p50: result.latency.p50,
		p99: result.latency.p99,
		failed: result.errors + result.timeouts + result.non2xx,
		cpu: (cpuSeconds(pid) - cpuBefore) / wall,
		rss: rssOf(pid),
	};
}

async function main(): Promise<void> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-ingest-'));
	const first = await startServiceProcess(dataDir, 0, BENCH_ADMIN);
	first.child.kill('SIGTERM');
	await new Promise((resolve) => first.child.once('exit', resolve));
	const tokens = await seedMembers(dataDir, MEMBERS);
	// Many members' reports a minute: the per-member limit (30 a minute) is not what is measured.
	const { child, url } = await startServiceProcess(dataDir, 0, BENCH_ADMIN);
	try {
		const admin = await deviceSignIn(url, BENCH_ADMIN.email, BENCH_ADMIN.password);
		const pid = child.pid!;
		const reads = await run(url, tokens, { path: '/api/v1/policy', report: false, seconds: SATURATE_SECONDS }, pid);
		const saturated = await run(url, tokens, { path: '/api/v1/usage', report: true, seconds: SATURATE_SECONDS }, pid);
		const perMinute = MEMBERS / 60;
		const paced = await run(url, tokens, { path: '/api/v1/usage', report: true, seconds: PACED_SECONDS, rate: perMinute }, pid);
		const totals = (await (
			await fetch(`${url}/api/v1/admin/usage`, { headers: { authorization: `Bearer ${admin.access_token}` } })
		).json()) as {
			groups: { requests: number }[];
		};
		if (saturated.failed + paced.failed > 0) {
			throw new Error(`${saturated.failed + paced.failed} reports failed`);
		}
		const row = (name: string, value: Run) =>
			`| ${name} | ${Math.round(value.rps)} | ${ms(value.p50)} / ${ms(value.p99)} | ${(value.cpu * 100).toFixed(0)}% | ${mb(value.rss)} |`;
		report({
			name: 'ingest',
			markdown: [
				`${MEMBERS} members (each with their own token), autocannon with ${CONNECTIONS} connections; each report is one member's minute (two models' hourly buckets) with a new report id; the service runs as its own process with SQLite. Saturated for ${SATURATE_SECONDS} s each; then ${perMinute.toFixed(1)} reports/s (every member once a minute) for ${PACED_SECONDS} s. ${totals.groups[0]?.requests ?? 0} requests counted in the end.`,
				'',
				'| run | requests/s | latency p50 / p99 | service CPU | service RSS |',
				'| --- | ---: | ---: | ---: | ---: |',
				row('GET /api/v1/policy, saturated (baseline)', reads),
				row('POST /api/v1/usage, saturated', saturated),
				row(`POST /api/v1/usage at ${perMinute.toFixed(1)}/s (${MEMBERS} members once a minute)`, paced),
				'',
				`Reports sustained vs policy reads: ${(saturated.rps / reads.rps).toFixed(2)}×; headroom over ${MEMBERS} members once a minute: ${(saturated.rps / perMinute).toFixed(1)}×.`,
			].join('\n'),
			targets: [
				{
					description: `reports sustained ≥ 3× what ${MEMBERS} members once a minute send (${perMinute.toFixed(0)}/s)`,
					met: saturated.rps >= 3 * perMinute,
					measured: `${Math.round(saturated.rps)}/s (${(saturated.rps / perMinute).toFixed(1)}×)`,
				},
				{
					description: 'no report refused or failed',
					met: saturated.failed + paced.failed === 0,
					measured: String(saturated.failed + paced.failed),
				},
			],
		});
	} finally {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
