/**
 * Several instances on one PostgreSQL database (issue #31): an admin saves on the first instance and
 * the revision reaches every event stream on every instance (through PostgreSQL's notifications).
 * Measured from the save to the frame on each stream, read by raw stream readers in worker
 * processes; compared, in the same run, with one instance holding the same number of streams.
 */
import { cpus } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from '../test/support/postgres';
import {
	BENCH_ADMIN,
	collect,
	forkReaders,
	mb,
	memberSessions,
	ms,
	percentile,
	report,
	rssOf,
	runBench,
	saveRevision,
	smoke,
	split,
	startServiceProcess,
	streamsPerProcessLimit,
	wallClock,
} from './support/common';
import type { ReaderMessage } from './support/stream-readers';

type Arrived = Extract<ReaderMessage, { type: 'arrived' }>;

interface Layout {
	instances: number;
	perInstance: number;
}

interface Measured extends Layout {
	latencies: number[];
	/** Peak resident memory of each instance once every stream is open. */
	rss: number[];
}

/** Starts `layout.instances` services on a fresh database, opens the streams, times one save. */
async function measure(layout: Layout): Promise<Measured> {
	const database = await freshDatabase();
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-instances-'));
	const services: ChildProcess[] = [];
	const readers: ChildProcess[] = [];
	try {
		const urls: string[] = [];
		for (let i = 0; i < layout.instances; i++) {
			// One after another: the first creates the organization, the others find it.
			const { child, url } = await startServiceProcess(join(dataDir, String(i)), 0, i === 0 ? BENCH_ADMIN : undefined, [
				'--database-url',
				database.url,
			]);
			services.push(child);
			urls.push(url);
		}
		const session = await memberSessions(urls[0]!, Math.min(layout.perInstance * layout.instances, 2000));
		// Each reader process holds streams to one instance, within its open-file limit.
		const perReader = Math.min(streamsPerProcessLimit(), Math.max(1000, Math.ceil(layout.perInstance / Math.max(1, cpus().length))));
		for (const url of urls) {
			const config = { url: `${url}/api/v1/policy/events`, tokens: session.tokens, lastEventId: 1, target: 2 };
			readers.push(...forkReaders(config, layout.perInstance, Math.ceil(layout.perInstance / perReader)));
		}
		await collect(readers, 'ready', 600_000);
		await new Promise((resolve) => setTimeout(resolve, 1000));
		const rss = services.map((child) => rssOf(child.pid!));
		const arrived = collect<Arrived>(readers, 'arrived', 300_000);
		const sent = wallClock();
		await saveRevision(urls[0]!, session.adminToken, 1, 'acme');
		const results = await arrived;
		return { ...layout, rss, latencies: results.flatMap((result) => result.times.map((time) => time - sent)) };
	} finally {
		readers.forEach((reader) => reader.kill());
		// Gone before their database is dropped, so none reports the dropped connection.
		await Promise.all(
			services.map((child) =>
				child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) : undefined,
			),
		);
		await database.drop().catch(() => undefined);
		rmSync(dataDir, { recursive: true, force: true });
	}
}

const row = (run: Measured) =>
	`| ${run.instances} × ${run.perInstance} | ${run.latencies.length} | ${[50, 99].map((p) => ms(percentile(run.latencies, p))).join(' | ')} | ${ms(Math.max(...run.latencies))} | ${run.rss.map(mb).join(', ')} |`;

async function main(): Promise<void> {
	if (!process.env.ORG_POLICY_TEST_DATABASE_URL) {
		report({
			name: 'instances',
			markdown: 'Not run: no PostgreSQL server (set ORG_POLICY_TEST_DATABASE_URL, as `.ci/run` and `./dev test` do).',
			targets: [{ description: 'a save on one instance reaches every stream on all four', met: false, measured: 'not run' }],
		});
		return;
	}
	// The issue's size is 4 × 10,000; one instance can hold only as many streams as its open-file
	// limit allows, so the same-number comparison runs at the largest total one instance can hold.
	const limit = streamsPerProcessLimit();
	const total = smoke ? 80 : Math.min(40_000, Math.floor(limit / 1000) * 1000);
	const sameNumber = split(total, 4)[0]!;
	const cluster = await measure({ instances: 4, perInstance: sameNumber });
	const single = await measure({ instances: 1, perInstance: sameNumber * 4 });
	const full = smoke || sameNumber >= 10_000 ? undefined : await measure({ instances: 4, perInstance: 10_000 });
	const ratio = percentile(cluster.latencies, 99) / percentile(single.latencies, 99);
	const complete = [cluster, single, full].every((run) => !run || run.latencies.length === run.instances * run.perInstance);
	report({
		name: 'instances',
		markdown: [
			`The built service as separate processes on one PostgreSQL database (${cpus().length} CPUs shared by the instances, the database and the readers). Raw stream readers (they note each frame's id) in worker processes, each holding streams to one instance; the admin saves on the first instance at t0; each figure is from t0 to the frame on a stream. One process may hold at most ${limit} streams here (its open-file limit, which this container cannot raise), so one instance is compared at ${sameNumber * 4} streams${full ? `, and the 4 × 10,000 layout is measured too, without a single-instance equal` : ''}.`,
			'',
			'| layout | streams | p50 | p99 | max | instance RSS |',
			'| --- | ---: | ---: | ---: | ---: | ---: |',
			row(single),
			row(cluster),
			...(full ? [row(full)] : []),
			'',
			`p99, four instances against one holding the same ${sameNumber * 4} streams: ${ratio.toFixed(2)}×.`,
		].join('\n'),
		targets: [
			{
				description: 'a save on one instance reaches every stream on all four',
				met: complete,
				measured: complete ? 'every stream' : 'streams missing',
			},
		],
	});
}

runBench(main);
