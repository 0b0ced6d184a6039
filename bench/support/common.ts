import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceSignIn, form } from '../../test/support/device-sign-in';
import type { ReaderConfig } from './stream-readers';

export const root = join(__dirname, '..', '..');
export const smoke = process.argv.includes('--smoke');

/** A clock comparable across processes on this machine, with sub-millisecond resolution. */
export function wallClock(): number {
	return performance.timeOrigin + performance.now();
}

export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) {
		return Number.NaN;
	}
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function mean(values: readonly number[]): number {
	return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function rssOf(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024;
}

/** A process's user and system CPU time so far, in µs, from /proc (Linux counts clock ticks of 10 ms); NaN where it cannot be read. */
export function processCpu(pid: number | undefined): { user: number; system: number } {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
		return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
	} catch {
		return { user: Number.NaN, system: Number.NaN };
	}
}

export function mb(bytes: number): string {
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function ms(value: number): string {
	return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export interface BenchResult {
	name: string;
	/** Markdown written into bench/results.md. */
	markdown: string;
	targets: { description: string; met: boolean; measured: string }[];
}

/** Writes the result where bench/run.mjs expects it (the path after --out). */
export function report(result: BenchResult): void {
	const index = process.argv.indexOf('--out');
	const text = JSON.stringify(result, null, 2);
	if (index >= 0) {
		writeFileSync(process.argv[index + 1]!, text);
	} else {
		console.log(result.markdown);
	}
}

/** Starts the built policy service as its own process, so its memory is its own. */
export async function startServiceProcess(
	dataDir: string,
	port: number,
	/** The first admin, for a service that creates its organization; omitted for a cluster's later instances. */
	admin: { email: string; password: string } | undefined,
	/** More flags, e.g. `--database-url` for an instance of a PostgreSQL-backed cluster. */
	extra: string[] = [],
	/**
	 * Node's own flags for the process (e.g. a `--require`d harness); with `ipc`, an IPC channel to it;
	 * `dist`, another build's `dist/` to run (bench/compare-builds.ts), this checkout's by default.
	 */
	node: { execArgv?: string[]; ipc?: boolean; dist?: string } = {},
): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(
		process.execPath,
		[
			...(node.execArgv ?? []),
			join(node.dist ?? join(root, 'dist'), 'server.js'),
			'--port',
			String(port),
			'--data-dir',
			dataDir,
			'--org-id',
			'acme',
			'--org-name',
			'Acme Corp',
			'--log-level',
			'silent',
			// One benchmark member holds thousands of streams, as thousands of members would.
			'--max-streams-per-member',
			'0',
			...(admin ? ['--admin-email', admin.email, '--admin-password', admin.password] : []),
			...extra,
		],
		{
			stdio: node.ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
		},
	);
	const url = await new Promise<string>((resolve, reject) => {
		let output = '';
		child.stdout!.on('data', (chunk) => {
			output += String(chunk);
			const match = /listening on (http:\/\/\S+)/.exec(output);
			if (match) {
				resolve(match[1]!);
			}
		});
		child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
	});
	return { child, url };
}

export function forkWorker(file: string, args: string[]): ChildProcess {
	return fork(file, args, {
		execArgv: [
			'--import',
			'tsx',
			...(process.env.BENCH_PROFILE && args[0] === 'members' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
		],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
}

/** The recording OpenAI-compatible endpoint in its own process, so its work is not the client's. */
export async function startEndpoint(): Promise<{ url: string; stop: () => void }> {
	const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/support/endpoint-process.ts')], {
		cwd: root,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const url = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk) => resolve(String(chunk).trim())));
	return { url, stop: () => child.kill() };
}

/** Runs a benchmark's main, exiting non-zero with the error when it fails. */
export function runBench(main: () => Promise<void>): void {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}

export { deviceSignIn, form };

/** Collects one message of `type` from every worker (rejecting on an `error` message, a worker's exit before it, or a timeout). */
export function collect<T extends { type: string }>(workers: ChildProcess[], type: T['type'], timeoutMs: number): Promise<T[]> {
	return new Promise((resolve, reject) => {
		const collected: T[] = [];
		const stops: (() => void)[] = [];
		const finish = (error?: Error) => {
			clearTimeout(timer);
			stops.forEach((stop) => stop());
			if (error) {
				reject(error);
			} else {
				resolve(collected);
			}
		};
		const timer = setTimeout(() => finish(new Error(`timed out waiting for ${type}`)), timeoutMs);
		for (const child of workers) {
			const onMessage = (message: T | { type: 'error'; message: string }) => {
				if (message.type === 'error') {
					finish(new Error((message as { message: string }).message));
				} else if (message.type === type) {
					child.off('message', onMessage);
					collected.push(message as T);
					if (collected.length === workers.length) {
						finish();
					}
				}
			};
			const onExit = (code: number | null) => finish(new Error(`a process exited (${code}) before sending ${type}`));
			child.on('message', onMessage);
			child.once('exit', onExit);
			stops.push(() => {
				child.off('message', onMessage);
				child.off('exit', onExit);
			});
		}
	});
}

/** `total` split into at most `parts` non-empty shares. */
export function split(total: number, parts: number): number[] {
	return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0)).filter((n) => n > 0);
}

export const BENCH_ADMIN = { email: 'admin@acme.example', password: 'benchmark admin password' };
const BENCH_MEMBER = { email: 'dev@acme.example', password: 'benchmark member password' };

/**
 * Signs the admin in, adds one member and gives that member `sessions` access tokens (one sign-in,
 * then refreshes), as that many VS Code windows would hold.
 */
export async function memberSessions(
	url: string,
	sessions: number,
): Promise<{ adminToken: string; tokens: string[]; signingKey: unknown }> {
	const admin = await deviceSignIn(url, BENCH_ADMIN.email, BENCH_ADMIN.password);
	const created = await fetch(`${url}/api/v1/admin/members`, {
		method: 'POST',
		headers: { authorization: `Bearer ${admin.access_token}`, 'content-type': 'application/json' },
		body: JSON.stringify({ ...BENCH_MEMBER, role: 'member' }),
	});
	if (created.status !== 201) {
		throw new Error(`could not add the member: ${created.status}`);
	}
	let member = await deviceSignIn(url, BENCH_MEMBER.email, BENCH_MEMBER.password);
	const tokens = [member.access_token];
	while (tokens.length < sessions) {
		member = (await (
			await form(`${url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: member.refresh_token, client_id: 'vscode' })
		).json()) as typeof member;
		tokens.push(member.access_token);
	}
	return { adminToken: admin.access_token, tokens, signingKey: member.policy_signing_key };
}

/** Saves a new revision as the admin; `revision` is the one edited (If-Match). */
export async function saveRevision(url: string, adminToken: string, edited: number, tenant: string): Promise<void> {
	const saved = await fetch(`${url}/api/v1/admin/policy`, {
		method: 'PUT',
		headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'if-match': `"${edited}"` },
		body: JSON.stringify({
			enabled: true,
			provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', headers: { 'X-Tenant': tenant } },
		}),
	});
	if (saved.status !== 200) {
		throw new Error(`save failed: ${saved.status} ${await saved.text()}`);
	}
}

/**
 * Forks stream-reader workers holding one stream per token (each worker its own slice), the
 * configuration in a file: ten thousand tokens do not fit on a command line.
 */
export function forkReadersPerToken(
	config: Omit<ReaderConfig, 'count' | 'tokens'>,
	tokens: readonly string[],
	workers: number,
	dir: string,
): ChildProcess[] {
	let start = 0;
	return split(tokens.length, workers).map((share, index) => {
		const file = join(dir, `readers-${index}.json`);
		writeFileSync(
			file,
			JSON.stringify({ ...config, tokens: tokens.slice(start, start + share), count: share, localAddress: readerAddress(index) }),
		);
		start += share;
		return forkWorker(join(__dirname, 'stream-readers.ts'), [`@${file}`]);
	});
}

/**
 * The most event streams one process may hold here: its open-file limit (RLIMIT_NOFILE, which an
 * unprivileged container cannot raise) less room for everything else it opens.
 */
export function streamsPerProcessLimit(): number {
	const limit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
	return Math.max(1000, limit - 1000);
}

/** Forks stream-reader workers sharing `count` streams between them. */
export function forkReaders(config: Omit<ReaderConfig, 'count'>, count: number, workers: number): ChildProcess[] {
	return split(count, workers).map((share, index) =>
		forkWorker(join(__dirname, 'stream-readers.ts'), [JSON.stringify({ ...config, count: share, localAddress: readerAddress(index) })]),
	);
}

/**
 * Each reader worker connects from its own loopback address (127.0.0.10, .11, …): one source
 * address has about 28,000 ephemeral ports towards a server, so 50,000 streams need at least two.
 */
export function readerAddress(worker: number): string {
	return `127.0.0.${10 + worker}`;
}
