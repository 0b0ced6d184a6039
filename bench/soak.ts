/**
 * Soak: thousands of open event streams and a steady rate of policy reads for a minute, while the
 * admin saves a revision every few seconds. Reports errors (target 0), delivery (every stream
 * every revision, in order) and the service's RSS over time. Baseline, same run: the same read
 * rate against the same service before any stream is open, so the read latency under load is a
 * ratio, not a wall-clock figure.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	BENCH_ADMIN,
	collect,
	forkReaders,
	mb,
	memberSessions,
	ms,
	report,
	rssOf,
	saveRevision,
	smoke,
	startServiceProcess,
} from './support/common';
import type { ReaderMessage } from './support/stream-readers';

type Tally = Extract<ReaderMessage, { type: 'tally' }>;

const STREAMS = Number(process.env.BENCH_STREAMS ?? (smoke ? 200 : 10_000));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (smoke ? 4 : 60));
const BASELINE_SECONDS = smoke ? 2 : 10;
const READS_PER_SECOND = smoke ? 100 : 500;
const SAVE_EVERY_MS = smoke ? 1000 : 5000;
const WORKERS = Math.max(1, Math.min(2, cpus().length));

interface Reads {
	requests: number;
	errors: number;
	p99: number;
}

async function steadyReads(url: string, token: string, seconds: number): Promise<Reads> {
	const result = await autocannon({
		url: `${url}/api/v1/policy`,
		connections: 10,
		overallRate: READS_PER_SECOND,
		duration: seconds,
		headers: { authorization: `Bearer ${token}` },
	});
	return { requests: result.requests.total, errors: result.errors + result.timeouts + result.non2xx, p99: result.latency.p99 };
}

/** Streams that did not see exactly `expected`, in order, once each. */
function undelivered(tallies: Tally[], expected: number[]): number {
	const want = expected.join(',');
	return tallies.flatMap((tally) => tally.received).filter((revisions) => revisions.join(',') !== want).length;
}

async function main(): Promise<void> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-soak-'));
	const { child, url } = await startServiceProcess(dataDir, 0, BENCH_ADMIN);
	let readers: ChildProcess[] = [];
	try {
		const session = await memberSessions(url, Math.min(STREAMS, 2000));
		const baseline = await steadyReads(url, session.tokens[0]!, BASELINE_SECONDS);

		readers = forkReaders({ url: `${url}/api/v1/policy/events`, tokens: session.tokens, lastEventId: 1 }, STREAMS, WORKERS);
		await collect(readers, 'ready', 300_000);
		const rssAtStart = rssOf(child.pid!);
		let rssPeak = rssAtStart;
		const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(child.pid!))), 1000);

		const saved: number[] = [];
		const saving = (async () => {
			// The last save lands a period before the reads stop, so every stream has time to get it.
			const saves = Math.floor((SECONDS * 1000) / SAVE_EVERY_MS) - 1;
			for (let revision = 2; revision <= saves + 1; revision++) {
				await new Promise((resolve) => setTimeout(resolve, SAVE_EVERY_MS));
				await saveRevision(url, session.adminToken, revision - 1, `soak-${revision}`);
				saved.push(revision);
			}
		})();
		const underLoad = await steadyReads(url, session.tokens[0]!, SECONDS);
		await saving;
		clearInterval(sampler);
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const rssAtEnd = rssOf(child.pid!);

		const tallies = collect<Tally>(readers, 'tally', 60_000);
		readers.forEach((reader) => reader.send({ type: 'tally' }));
		const results = await tallies;
		const open = results.reduce((sum, tally) => sum + tally.open, 0);
		const streamErrors = results.flatMap((tally) => tally.errors);
		const missing = undelivered(results, saved);
		const errors = underLoad.errors + streamErrors.length + (STREAMS - open);
		report({
			name: 'soak',
			markdown: [
				`${STREAMS} event streams (raw readers in ${WORKERS} worker processes) open for ${SECONDS} s against the service as its own process (SQLite), ${READS_PER_SECOND} authenticated \`GET /api/v1/policy\`/s from autocannon, and an admin save every ${SAVE_EVERY_MS / 1000} s (${saved.length} revisions). Baseline: the same read rate for ${BASELINE_SECONDS} s with no stream open.`,
				'',
				'| | value |',
				'| --- | ---: |',
				`| reads sent (under load) | ${underLoad.requests} |`,
				`| read errors (connection errors, timeouts, non-2xx) | ${underLoad.errors} |`,
				`| read p99, no streams (baseline) / under load | ${ms(baseline.p99)} / ${ms(underLoad.p99)} (${(underLoad.p99 / Math.max(1, baseline.p99)).toFixed(2)}×) |`,
				`| streams still open at the end | ${open} of ${STREAMS} |`,
				`| stream errors | ${streamErrors.length}${streamErrors.length ? ` (first: ${streamErrors[0]})` : ''} |`,
				`| streams missing a revision or seeing one twice or out of order | ${missing} |`,
				`| service RSS: streams open / peak / end | ${mb(rssAtStart)} / ${mb(rssPeak)} / ${mb(rssAtEnd)} |`,
			].join('\n'),
			targets: [
				{ description: 'errors (reads and streams) = 0', met: errors === 0, measured: String(errors) },
				{
					description: `every stream receives every revision (${saved.length}), in order`,
					met: missing === 0 && saved.length > 0,
					measured: `${STREAMS - missing} of ${STREAMS}`,
				},
				{ description: `service RSS ≤ 300 MB with ${STREAMS} streams`, met: rssPeak <= 300 * 1024 * 1024, measured: mb(rssPeak) },
				{
					// Revisions fan out in slices that give the event loop back (#31 item 4).
					description: 'read p99 while revisions fan out ≤ 5× the read p99 with no stream open',
					met: underLoad.p99 <= 5 * Math.max(1, baseline.p99),
					measured: `${(underLoad.p99 / Math.max(1, baseline.p99)).toFixed(2)}×`,
				},
			],
		});
	} finally {
		readers.forEach((reader) => reader.kill());
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
