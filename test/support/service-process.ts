import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN } from './service';

const root = join(__dirname, '..', '..');

/** Polls a URL until it answers below 500, failing with the process's output if it exits first. */
export async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
	for (let attempt = 0; attempt < 200; attempt++) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`exited early: ${log()}`);
		}
		if (
			await fetch(url).then(
				(response) => response.status < 500,
				() => false,
			)
		) {
			return;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`${url} did not answer: ${log()}`);
}

export type Storage = { databaseUrl: string } | { dataDir: string };

/**
 * A policy service instance as its own process (the real entry point, `src/server/main.ts`), so a
 * test can kill it with SIGKILL. It resolves once `/readyz` answers.
 */
export async function startServiceInstance(
	storage: Storage,
	port: number,
	publicUrl = `http://127.0.0.1:${port}`,
	extra: string[] = [],
): Promise<ChildProcess> {
	const where = 'databaseUrl' in storage ? ['--database-url', storage.databaseUrl] : ['--data-dir', storage.dataDir];
	const args = [
		'--import',
		'tsx',
		join(root, 'src/server/main.ts'),
		'--port',
		String(port),
		...where,
		'--public-url',
		publicUrl,
		'--org-id',
		'acme',
		'--org-name',
		'Acme Corp',
	];
	const child = spawn(
		process.execPath,
		[...args, '--admin-email', ADMIN.email, '--admin-password', ADMIN.password, '--log-level', 'warn', ...extra],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let log = '';
	child.stdout?.on('data', (chunk) => (log += String(chunk)));
	child.stderr?.on('data', (chunk) => (log += String(chunk)));
	await waitForHttp(`http://127.0.0.1:${port}/readyz`, child, () => log);
	return child;
}

/** Sends SIGKILL and waits for the process to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) {
		return;
	}
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGKILL');
	await exited;
}
