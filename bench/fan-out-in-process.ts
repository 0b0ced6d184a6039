/**
 * The fan-out at the sizes one process's open files cannot reach (#31: 50,000 event streams on one
 * instance; this machine allows a process 20,000 files and cannot raise it).
 *
 * The built service runs as its own process (`dist/server.js`, SQLite), as in `propagation.ts`; a
 * small harness preloaded into it (`support/in-process-readers.cjs`) opens the streams to its own
 * HTTP server over in-process duplex pairs instead of sockets, so they take no file descriptor.
 * Each stream is still a real HTTP/1.1 request, parsed by Node's HTTP parser, authenticated and
 * answered by the real route and written by the real stream hub; the readers are the pairs' other
 * ends, and note the new revision's frame and nothing more. Baseline, same transport and readers: a
 * bare `node:http` server writing a frame of the same size to as many streams.
 *
 * What this does not measure is the kernel's side of real sockets: their buffers are kernel memory,
 * not RSS, and each write is a system call. `propagation.ts` measures that with readers in other
 * processes, up to the most streams the open-file limit allows. The RSS here is the whole process's:
 * the service's and its readers', an upper bound on the service's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	BENCH_ADMIN,
	collect,
	mb,
	memberSessions,
	ms,
	percentile,
	report,
	root,
	runBench,
	saveRevision,
	smoke,
	startServiceProcess,
	wallClock,
} from './support/common';

type HarnessMessage =
	| { type: 'ready' }
	| { type: 'memory'; rss: number }
	| { type: 'arrived'; times: number[] }
	| { type: 'sent'; at: number }
	| { type: 'error'; message: string };

type Message<T extends HarnessMessage['type']> = Extract<HarnessMessage, { type: T }>;

interface Run {
	latencies: number[];
	/** The process's RSS with every stream open, after a garbage collection. */
	rss: number;
}

const HARNESS = ['--expose-gc', '--require', join(root, 'bench', 'support', 'in-process-readers.cjs')];
const MEMBER_TOKENS = 100;

/** The next message of `type` from `child` (its type named: `next<Message<'memory'>>(child, 'memory')`). */
async function next<M extends HarnessMessage>(child: ChildProcess, type: M['type']): Promise<M> {
	const [message] = await collect<M>([child], type, 600_000);
	return message!;
}

/** Opens `count` streams in `child`, reads its RSS, then times `fanOut` to the frame of revision 2 on every stream. */
async function measure(
	child: ChildProcess,
	count: number,
	stream: { path: string; tokens: string[] },
	fanOut: () => Promise<number>,
): Promise<Run> {
	const ready = next<Message<'ready'>>(child, 'ready');
	child.send({ type: 'open', count, ...stream, lastEventId: 1, target: 2 });
	await ready;
	const memory = next<Message<'memory'>>(child, 'memory');
	child.send({ type: 'memory' });
	const { rss } = await memory;
	const arrived = next<Message<'arrived'>>(child, 'arrived');
	const sent = await fanOut();
	const { times } = await arrived;
	return { latencies: times.map((time) => time - sent), rss };
}

async function service(count: number): Promise<Run & { frameBytes: number }> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-fan-out-'));
	const { child, url } = await startServiceProcess(dataDir, 0, BENCH_ADMIN, [], { execArgv: HARNESS, ipc: true });
	try {
		const session = await memberSessions(url, MEMBER_TOKENS);
		const run = await measure(child, count, { path: '/api/v1/policy/events', tokens: session.tokens }, async () => {
			const sent = wallClock();
			await saveRevision(url, session.adminToken, 1, 'acme');
			return sent;
		});
		const served = await fetch(`${url}/api/v1/policy`, {
			headers: { authorization: `Bearer ${session.tokens[0]}`, 'org-policy-schema': '2' },
		});
		return { ...run, frameBytes: (await served.text()).length + 40 };
	} finally {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** A bare `node:http` server: it opens each stream and, when told, writes one frame to all of them. */
const BARE_SERVER = `
const streams = new Set();
const server = require('node:http').createServer((request, response) => {
	response.writeHead(200, { 'content-type': 'text/event-stream' });
	response.write('retry: 2000\\n\\n');
	streams.add(response);
	response.on('close', () => streams.delete(response));
});
process.on('message', (message) => {
	if (message.type === 'fan-out') {
		process.send({ type: 'sent', at: performance.timeOrigin + performance.now() });
		for (const stream of streams) stream.write(message.frame);
	}
});
server.listen(0, '127.0.0.1');
`;

async function bare(count: number, frameBytes: number): Promise<Run> {
	const child = spawn(process.execPath, [...HARNESS, '-e', BARE_SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	try {
		const frame = `id: 2\nevent: policy\ndata: ${JSON.stringify({ constant: 'x'.repeat(Math.max(0, frameBytes - 40)) })}\n\n`;
		return await measure(child, count, { path: '/events', tokens: [] }, async () => {
			const sent = next<Message<'sent'>>(child, 'sent');
			child.send({ type: 'fan-out', frame });
			return (await sent).at;
		});
	} finally {
		child.kill();
	}
}

async function main(): Promise<void> {
	const sizes = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : smoke ? [200] : [10_000, 20_000, 50_000];
	const rows: string[] = [];
	const targets: { description: string; met: boolean; measured: string }[] = [];
	for (const count of sizes) {
		console.error(`fan-out over in-process connections: ${count} streams`);
		const ours = await service(count);
		const baseline = await bare(count, ours.frameBytes);
		const ratio = percentile(ours.latencies, 99) / percentile(baseline.latencies, 99);
		const cells = (run: Run) => [50, 99].map((p) => ms(percentile(run.latencies, p))).join(' | ');
		rows.push(`| ${count} | ${cells(ours)} | ${cells(baseline)} | ${ratio.toFixed(2)}× | ${mb(ours.rss)} | ${mb(baseline.rss)} |`);
		if (count === sizes[sizes.length - 1]) {
			targets.push({
				description: `service fan-out p99 at ${count} in-process streams ≤ 1.2× the bare server's`,
				met: ratio <= 1.2,
				measured: `${ratio.toFixed(2)}×`,
			});
			targets.push({
				description: `RSS of the service process with ${count} in-process streams (its readers included) ≤ 1 GB`,
				met: ours.rss <= 1024 ** 3,
				measured: mb(ours.rss),
			});
		}
	}
	report({
		name: 'fan-out-in-process',
		markdown: [
			'The built service as its own process (`dist/server.js`, SQLite), its event streams opened by a harness preloaded into it over in-process duplex pairs instead of sockets (no file descriptor each): every stream a real HTTP/1.1 request served by the real route and stream hub, read by the pair\u2019s other end, which notes the new revision\u2019s frame. t0 is the moment the admin\u2019s PUT is sent. Baseline: a bare `node:http` server writing a frame of the same size over the same transport to the same readers. RSS: the whole process with every stream open, after a garbage collection; the readers are in it, so it bounds the service\u2019s own from above.',
			'',
			'| streams | p50 | p99 | bare p50 | bare p99 | p99 ratio | service RSS (readers included) | bare RSS (readers included) |',
			'| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
			...rows,
		].join('\n'),
		targets,
	});
}

runBench(main);
