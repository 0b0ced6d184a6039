/**
 * Which of two builds of the service reads the policy cheaper: not a benchmark with a target, a tool
 * for finding where a cost came from (bench/NOTES.md, sessions 35–36). Each build's `dist/` runs as
 * its own service process; both are pinned to CPU 0 and loaded at the same time by autocannon (run
 * this pinned to CPU 1), so the machine's drift hits both alike; the start order is swapped every
 * round. A process keeps a speed of its own for its life, so run it several times with fresh processes.
 *
 * Usage: taskset -c 1 npx tsx bench/compare-builds.ts OLD_DIST NEW_DIST [ROUNDS]
 * With SERVICE_NODE_FLAGS (e.g. `--no-concurrent-recompilation`), both services run with those flags
 * of Node's: optimizing on the main thread took most of a process's own speed away (NOTES, session 36).
 * Prints, per round, the second build's server CPU per read minus the first's, in µs, and apart its
 * user time (the service's JavaScript; system time is mostly the kernel's loopback TCP, which varies
 * from process to process far more than any build does).
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ADMIN, deviceSignIn, processCpu, startServiceProcess } from './support/common';

interface Service {
	child: ChildProcess;
	policy: string;
	auth: Record<string, string>;
	stop: () => void;
}

/** CPU per read, µs: user + system, and user alone. */
interface ReadCost {
	total: number;
	user: number;
}

async function startBuild(dist: string): Promise<Service> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-compare-'));
	const execArgv = (process.env.SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
	const { child, url } = await startServiceProcess(dataDir, 0, BENCH_ADMIN, [], { dist, execArgv });
	// Every thread it has, and those it starts later, on CPU 0: the loads run on CPU 1.
	execFileSync('taskset', ['-a', '-p', '-c', '0', String(child.pid)], { stdio: 'ignore' });
	const { access_token } = await deviceSignIn(url, BENCH_ADMIN.email, BENCH_ADMIN.password);
	const stop = () => {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	};
	return { child, policy: `${url}/api/v1/policy`, auth: { authorization: `Bearer ${access_token}` }, stop };
}

/** The server's CPU per read under 4 s of load, started `delayMs` after the round began. */
async function costPerRead(service: Service, delayMs: number): Promise<ReadCost> {
	await new Promise((resolve) => setTimeout(resolve, delayMs));
	const before = processCpu(service.child.pid);
	const result = await autocannon({ url: service.policy, connections: 25, duration: 4, headers: service.auth });
	const after = processCpu(service.child.pid);
	const reads = result.requests.total;
	return { total: (after.user + after.system - before.user - before.system) / reads, user: (after.user - before.user) / reads };
}

async function main(): Promise<void> {
	const [oldDist, newDist, rounds = '4'] = process.argv.slice(2);
	if (!oldDist || !newDist) {
		throw new Error('usage: taskset -c 1 npx tsx bench/compare-builds.ts OLD_DIST NEW_DIST [ROUNDS]');
	}
	const builds = [await startBuild(oldDist), await startBuild(newDist)];
	try {
		// Warm both up (JIT, connection pools) before anything counts.
		await Promise.all(builds.map((build) => costPerRead(build, 0)));
		for (let round = 0; round < Number(rounds); round++) {
			// Which load starts first alternates: a fixed order alone made two identical builds differ by 8 µs.
			const [first, second] = await Promise.all(builds.map((build, index) => costPerRead(build, (index + round) % 2 === 0 ? 0 : 20)));
			console.log(
				`round ${round + 1}: old ${first!.total.toFixed(1)} µs, new ${second!.total.toFixed(1)} µs, new − old ${(second!.total - first!.total).toFixed(1)} µs` +
					` (user time: old ${first!.user.toFixed(1)}, new ${second!.user.toFixed(1)}, new − old ${(second!.user - first!.user).toFixed(1)} µs)`,
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
