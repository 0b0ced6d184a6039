/**
 * Which of two builds of the service reads the policy cheaper: not a benchmark with a target, a tool
 * for finding where a cost came from (bench/NOTES.md, session 35). Each build's `dist/` runs as its
 * own service process; both are pinned to CPU 0 and loaded at the same time by autocannon (run this
 * pinned to CPU 1), so the machine's drift hits both alike; the start order is swapped every round.
 * A process keeps a speed of its own for its life, so run it several times with fresh processes.
 *
 * Usage: taskset -c 1 npx tsx bench/compare-builds.ts OLD_DIST NEW_DIST [ROUNDS]
 * Prints, per round, the second build's server CPU per read minus the first's, in µs.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ADMIN, deviceSignIn } from './support/common';

interface Service {
	child: ChildProcess;
	policy: string;
	auth: Record<string, string>;
	stop: () => void;
}

/** A process's user + system CPU time so far, in µs (/proc/<pid>/stat counts clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startBuild(dist: string): Promise<Service> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-compare-'));
	const flags = ['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'silent'];
	const admin = ['--admin-email', BENCH_ADMIN.email, '--admin-password', BENCH_ADMIN.password];
	const child = spawn('taskset', ['-c', '0', process.execPath, join(dist, 'server.js'), ...flags, ...admin], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const url = await new Promise<string>((resolve, reject) => {
		let output = '';
		child.stdout!.on('data', (chunk) => {
			output += String(chunk);
			const match = /listening on (http:\/\/\S+)/.exec(output);
			if (match) {
				resolve(match[1]!);
			}
		});
		child.once('exit', (code) => reject(new Error(`${dist}/server.js exited with ${code}`)));
	});
	const { access_token } = await deviceSignIn(url, BENCH_ADMIN.email, BENCH_ADMIN.password);
	const stop = () => {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	};
	return { child, policy: `${url}/api/v1/policy`, auth: { authorization: `Bearer ${access_token}` }, stop };
}

/** The server's CPU per read under 4 s of load, started `delayMs` after the round began. */
async function cpuPerRead(service: Service, delayMs: number): Promise<number> {
	await new Promise((resolve) => setTimeout(resolve, delayMs));
	const before = cpuMicros(service.child.pid!);
	const result = await autocannon({ url: service.policy, connections: 25, duration: 4, headers: service.auth });
	return (cpuMicros(service.child.pid!) - before) / result.requests.total;
}

async function main(): Promise<void> {
	const [oldDist, newDist, rounds = '4'] = process.argv.slice(2);
	if (!oldDist || !newDist) {
		throw new Error('usage: taskset -c 1 npx tsx bench/compare-builds.ts OLD_DIST NEW_DIST [ROUNDS]');
	}
	const builds = [await startBuild(oldDist), await startBuild(newDist)];
	try {
		// Warm both up (JIT, connection pools) before anything counts.
		await Promise.all(builds.map((build) => cpuPerRead(build, 0)));
		for (let round = 0; round < Number(rounds); round++) {
			// Which load starts first alternates: a fixed order alone made two identical builds differ by 8 µs.
			const [first, second] = await Promise.all(builds.map((build, index) => cpuPerRead(build, (index + round) % 2 === 0 ? 0 : 20)));
			console.log(
				`round ${round + 1}: old ${first!.toFixed(1)} µs, new ${second!.toFixed(1)} µs, new − old ${(second! - first!).toFixed(1)} µs`,
			);
		}
	} finally {
		for (const build of builds) {
			build.stop();
		}
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
