/**
 * Writes: the service's first start (a new database: migrations, the organization's key and first
 * revision), a restart on that database, and the latency of an admin's save (validate, sign in each
 * schema version, append durably, publish). Baselines in the same run: a bare process loading
 * fastify and better-sqlite3 and listening, and a bare durable SQLite transaction in the same
 * directory (WAL, synchronous=FULL: the fsync every save must pay).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceSignIn, mean, ms, percentile, report, root, runBench, smoke, startServiceProcess, wallClock } from './support/common';

const ADMIN = { email: 'admin@acme.example', password: 'benchmark admin password' };
const STARTS = smoke ? 1 : 5;
const SAVES = smoke ? 5 : 200;
/** The previous release's figures on this machine (issue #23: measured side by side before this wave). */
const PREVIOUS = { firstStartMs: 690, saveP50Ms: 3.9 };

async function timedStart(dataDir: string): Promise<{ elapsed: number; stop: () => Promise<void>; url: string }> {
	const began = wallClock();
	const { child, url } = await startServiceProcess(dataDir, 0, ADMIN);
	const elapsed = wallClock() - began;
	return {
		elapsed,
		url,
		stop: () =>
			new Promise<void>((resolve) => {
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

async function bareStart(): Promise<number> {
	const script = `require('better-sqlite3'); const app = require('fastify')(); app.listen({ host: '127.0.0.1', port: 0 }).then((address) => console.log('listening on ' + address));`;
	const began = wallClock();
	const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
	await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
	const elapsed = wallClock() - began;
	child.kill();
	return elapsed;
}

function bareDurableTransactions(dir: string, count: number): number[] {
	const db = new Database(join(dir, 'bare.sqlite'));
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	db.exec('CREATE TABLE revisions (revision INTEGER PRIMARY KEY, signed_json TEXT NOT NULL)');
	const insert = db.prepare('INSERT INTO revisions (revision, signed_json) VALUES (?, ?)');
	const document = JSON.stringify({ policy: 'x'.repeat(1500) });
	const times: number[] = [];
	for (let revision = 1; revision <= count; revision++) {
		const began = wallClock();
		db.transaction(() => insert.run(revision, document))();
		times.push(wallClock() - began);
	}
	db.close();
	return times;
}

async function main(): Promise<void> {
	const bare = [];
	for (let run = 0; run < STARTS; run++) {
		bare.push(await bareStart());
	}
	const firsts: number[] = [];
	const restarts: number[] = [];
	const saves: number[] = [];
	let bareSaves: number[] = [];
	for (let run = 0; run < STARTS; run++) {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-writes-'));
		try {
			const first = await timedStart(dataDir);
			firsts.push(first.elapsed);
			await first.stop();
			const again = await timedStart(dataDir);
			restarts.push(again.elapsed);
			if (run === 0) {
				const { access_token } = await deviceSignIn(again.url, ADMIN.email, ADMIN.password);
				for (let revision = 1; revision <= SAVES; revision++) {
					const began = wallClock();
					const saved = await fetch(`${again.url}/api/v1/admin/policy`, {
						method: 'PUT',
						headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', 'if-match': `"${revision}"` },
						body: JSON.stringify({ enabled: false, adminContact: `bench save ${revision}` }),
					});
					saves.push(wallClock() - began);
					if (saved.status !== 200) {
						throw new Error(`save ${revision} answered ${saved.status}: ${await saved.text()}`);
					}
				}
				bareSaves = bareDurableTransactions(dataDir, SAVES);
			}
			await again.stop();
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	}
	const median = (values: number[]) => percentile(values, 50);
	const row = (name: string, values: number[], baseline: number[]) =>
		`| ${name} | ${ms(median(values))} | ${ms(percentile(values, 95))} | ${(median(values) / median(baseline)).toFixed(2)}× |`;
	report({
		name: 'writes',
		markdown: [
			`The built service as its own process (SQLite), ${STARTS} first start(s) and restart(s) (spawn until it listens), and ${SAVES} sequential saves through \`PUT /api/v1/admin/policy\` (the client's round trip on loopback). Baselines, same run: a bare process loading fastify and better-sqlite3 until it listens; a bare durable SQLite transaction (WAL, synchronous=FULL) in the same directory. The previous release measured first starts of 0.53–0.69 s and save p50 of 2.6–3.9 ms on this machine.`,
			'',
			'| what | median | p95 | vs its baseline |',
			'| --- | ---: | ---: | ---: |',
			row('bare process start (baseline)', bare, bare),
			row('first start (new database)', firsts, bare),
			row('restart (existing database)', restarts, bare),
			row('bare durable transaction (baseline)', bareSaves, bareSaves),
			row('admin save', saves, bareSaves),
			'',
			`Mean save ${ms(mean(saves))}.`,
		].join('\n'),
		targets: [
			{
				description: `first start median ≤ the previous release's slowest (${PREVIOUS.firstStartMs} ms)`,
				met: median(firsts) <= PREVIOUS.firstStartMs,
				measured: ms(median(firsts)),
			},
			{
				description: `save p50 ≤ the previous release's slowest (${PREVIOUS.saveP50Ms} ms)`,
				met: median(saves) <= PREVIOUS.saveP50Ms,
				measured: ms(median(saves)),
			},
		],
	});
}

runBench(main);
