/**
 * The offline extension host (code-server's VS Code server, driven by headless Chromium) in parts
 * a run can repeat: install extensions, start its server, run the suite in a page, stop, start again.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import type { Page } from 'playwright-core';
import { freePort } from '../support/free-port';

import { artifacts, HOST_TIMEOUT_MS, log } from './harness';

/** Where the host's own logs are kept after a run. */
export const logsDir = join(artifacts, 'integration-logs');

/** What one offline host keeps across its starts: the code-server install, its home and its folders. */
export interface OfflineHost {
	readonly codeServer: string;
	readonly node: string;
	readonly port: number;
	readonly home: string;
	readonly folder: string;
	readonly base: string;
	/** The VS Code server, when started directly (VS Code 1.139) rather than through code-server's CLI. */
	readonly vscodeServer: boolean;
}

export async function prepareOfflineHost(): Promise<OfflineHost> {
	const { installHost, hostNode } = await import('../../scripts/vscode-host.mjs');
	const codeServer = installHost();
	const port = await freePort();
	const home = mkdtempSync(join(tmpdir(), 'opp-integration-home-'));
	const folder = join(home, 'workspace');
	mkdirSync(folder, { recursive: true });
	writeFileSync(join(home, 'config.yaml'), 'auth: none\ncert: false\n');
	log(
		`host: offline (code-server ${codeServer.split('/').slice(-3, -2)[0] ?? ''} with VS Code's server, headless Chromium) on port ${port}`,
	);
	return {
		codeServer,
		node: hostNode().bin,
		port,
		home,
		folder,
		base: `http://127.0.0.1:${port}`,
		vscodeServer: process.env.ORG_POLICY_HOST_VSCODE_SERVER === '1',
	};
}

/** The environment every process of the host runs with (the extension host inherits it). */
export function hostEnvironment(host: OfflineHost, env: Record<string, string>): NodeJS.ProcessEnv {
	return { ...process.env, ...env, HOME: host.home, EXTENSIONS_GALLERY: '{}' };
}

/** Installs a .vsix into the host's extensions folder, as `code --install-extension` does for a member. */
export function installExtension(host: OfflineHost, vsix: string, hostEnv: NodeJS.ProcessEnv): void {
	const installed = spawnSync(
		host.node,
		[
			join(host.codeServer, 'out', 'node', 'entry.js'),
			'--extensions-dir',
			join(host.home, 'extensions'),
			'--user-data-dir',
			join(host.home, 'data'),
			'--install-extension',
			vsix,
		],
		{ env: hostEnv, encoding: 'utf8' },
	);
	if (installed.status !== 0) {
		throw new Error(`could not install ${vsix}: ${installed.stderr || installed.stdout}`);
	}
}

/** The running host's server: healthy when this resolves; `stop` ends its process group and waits for it. */
export interface StartedServer {
	readonly output: () => string;
	stop(): Promise<void>;
}

export async function startHostServer(host: OfflineHost, hostEnv: NodeJS.ProcessEnv): Promise<StartedServer> {
	// VS Code 1.139's built workbench honours the test payload (extensionDevelopmentPath,
	// extensionTestsPath) only with the smoke-test driver on, which code-server's CLI does not pass:
	// there the VS Code server inside code-server is started directly with it.
	const serverArgs = host.vscodeServer
		? [
				join(host.codeServer, 'lib', 'vscode', 'out', 'server-main.js'),
				'--host',
				'127.0.0.1',
				'--port',
				String(host.port),
				'--without-connection-token',
				'--enable-smoke-test-driver',
				'--accept-server-license-terms',
				'--disable-telemetry',
				'--disable-workspace-trust',
			]
		: [
				join(host.codeServer, 'out', 'node', 'entry.js'),
				'--auth',
				'none',
				'--bind-addr',
				`127.0.0.1:${host.port}`,
				'--disable-telemetry',
				'--disable-update-check',
				'--disable-workspace-trust',
				'--config',
				join(host.home, 'config.yaml'),
			];
	const server: ChildProcess = spawn(
		host.node,
		[
			...serverArgs,
			'--user-data-dir',
			join(host.home, 'data'),
			'--extensions-dir',
			join(host.home, 'extensions'),
			...(host.vscodeServer ? [] : [host.folder]),
		],
		{ env: hostEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let output = '';
	server.stdout?.on('data', (chunk) => (output += String(chunk)));
	server.stderr?.on('data', (chunk) => (output += String(chunk)));
	const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
	const signal = (name: NodeJS.Signals) => {
		try {
			process.kill(-server.pid!, name);
		} catch {
			// already gone
		}
	};
	const started: StartedServer = {
		output: () => output,
		async stop() {
			signal('SIGTERM');
			// Its port is free again only once it is gone (a host started next on the port must not find it).
			const stopped = await Promise.race([
				exited.then(() => true),
				new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
			]);
			if (!stopped) {
				signal('SIGKILL');
				await exited;
			}
		},
	};
	for (let attempt = 0; ; attempt++) {
		const healthy = await fetch(`${host.base}/${host.vscodeServer ? 'version' : 'healthz'}`)
			.then((response) => response.ok)
			.catch(() => false);
		if (healthy) {
			return started;
		}
		if (attempt > 300 || server.exitCode !== null) {
			await started.stop();
			throw new Error(`code-server did not start:\n${output}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** A workspace URI on the host's side, for the workbench's test payload. */
export const remote = (host: OfflineHost, path: string): string => `vscode-remote://127.0.0.1:${host.port}${path}`;

/**
 * Opens the workbench on `page` with the test payload and waits for the suite to report its exit
 * code (124 when it does not finish in time). The host's console lines go to `hostLog` and stdout.
 */
export async function runSuiteOnPage(host: OfflineHost, page: Page, payload: [string, string][], hostLog: string[]): Promise<number> {
	const exit = new Promise<number>((resolve) => {
		void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
	});
	await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
		// Arguments arrive as console.log gave them (format string first).
		const line = format(...(Array.isArray(args) ? args : [args]));
		hostLog.push(`[${level}] ${line}`);
		console.log(line);
	});
	await page.goto(`${host.base}/?folder=${encodeURIComponent(host.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		exit,
		new Promise<number>((resolve) => {
			timer = setTimeout(() => {
				console.error(`[integration] the extension host did not finish within ${HOST_TIMEOUT_MS / 1000} s; logs kept in ${logsDir}`);
				resolve(124);
			}, HOST_TIMEOUT_MS);
		}),
	]).finally(() => clearTimeout(timer));
}
