import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
export async function startServiceProcess(dataDir: string, port: number, admin: { email: string; password: string }): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(process.execPath, [join(root, 'dist', 'server.js'), '--port', String(port), '--data-dir', dataDir, '--org-id', 'acme', '--org-name', 'Acme Corp', '--log-level', 'silent', '--admin-email', admin.email, '--admin-password', admin.password], {
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
		child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
	});
	return { child, url };
}

export function forkWorker(file: string, args: string[]): ChildProcess {
	return fork(file, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The recording OpenAI-compatible endpoint in its own process, so its work is not the client's. */
export async function startEndpoint(): Promise<{ url: string; stop: () => void }> {
	const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/support/endpoint-process.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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

export { deviceSignIn, form } from '../../test/support/device-sign-in';
