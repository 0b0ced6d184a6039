/**
 * The two extension hosts: the offline one (code-server's VS Code server, driven by headless
 * Chromium) and the Electron build through @vscode/test-electron.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { launchChromium } from '../support/chromium';
import { freePort } from '../support/free-port';

import { artifacts, FIRST_RUN, HOST_TIMEOUT_MS, PACKAGED, log, packageExtension, root } from './harness';
import { uiChatAfterReload } from './ui-driver';
import type { World } from './world';

/** A check the launcher makes itself, after the extension host's tests: counted and reported with them. */
function countOutsideHost(world: World, title: string, result: { ok: boolean; detail: string }): void {
	const stats = (world.stats ??= { passed: 0, failed: 0, skipped: 0 });
	if (result.ok) {
		stats.passed++;
		console.log(`    ✔ ${title}`);
	} else {
		stats.failed++;
		(stats.failures ??= []).push({ title: `a member's day with Org Provider Policy ${title}`, message: result.detail });
		console.log(`    ✗ ${title}: ${result.detail}`);
	}
}

export async function runOffline(
	suitePath: string,
	consumer: { dir: string; vsix: string },
	env: Record<string, string>,
	world: World,
): Promise<number> {
	const { installHost, hostNode } = await import('../../scripts/vscode-host.mjs');
	const codeServer = installHost();
	const node = hostNode().bin;
	const port = await freePort();
	const home = mkdtempSync(join(tmpdir(), 'opp-integration-home-'));
	const logs = join(artifacts, 'integration-logs');
	mkdirSync(logs, { recursive: true });
	const folder = join(home, 'workspace');
	mkdirSync(folder, { recursive: true });
	const configFile = join(home, 'config.yaml');
	writeFileSync(configFile, 'auth: none\ncert: false\n');
	log(
		`host: offline (code-server ${codeServer.split('/').slice(-3, -2)[0] ?? ''} with VS Code's server, headless Chromium) on port ${port}`,
	);
	const hostEnv = { ...process.env, ...env, HOME: home, EXTENSIONS_GALLERY: '{}' };
	// The consumer is installed as a member's assistant would be; in the packaged run, ours is instead.
	for (const vsix of PACKAGED ? [packageExtension()] : [consumer.vsix]) {
		const installed = spawnSync(
			node,
			[
				join(codeServer, 'out', 'node', 'entry.js'),
				'--extensions-dir',
				join(home, 'extensions'),
				'--user-data-dir',
				join(home, 'data'),
				'--install-extension',
				vsix,
			],
			{ env: hostEnv, encoding: 'utf8' },
		);
		if (installed.status !== 0) {
			throw new Error(`could not install ${vsix}: ${installed.stderr || installed.stdout}`);
		}
	}
	// VS Code 1.139's built workbench honours the test payload (extensionDevelopmentPath,
	// extensionTestsPath) only with the smoke-test driver on, which code-server's CLI does not pass:
	// there the VS Code server inside code-server is started directly with it.
	const vscodeServer = process.env.ORG_POLICY_HOST_VSCODE_SERVER === '1';
	const serverArgs = vscodeServer
		? [
				join(codeServer, 'lib', 'vscode', 'out', 'server-main.js'),
				'--host',
				'127.0.0.1',
				'--port',
				String(port),
				'--without-connection-token',
				'--enable-smoke-test-driver',
				'--accept-server-license-terms',
				'--disable-telemetry',
				'--disable-workspace-trust',
			]
		: [
				join(codeServer, 'out', 'node', 'entry.js'),
				'--auth',
				'none',
				'--bind-addr',
				`127.0.0.1:${port}`,
				'--disable-telemetry',
				'--disable-update-check',
				'--disable-workspace-trust',
				'--config',
				configFile,
			];
	const server: ChildProcess = spawn(
		node,
		[...serverArgs, '--user-data-dir', join(home, 'data'), '--extensions-dir', join(home, 'extensions'), ...(vscodeServer ? [] : [folder])],
		{ env: hostEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let serverLog = '';
	server.stdout?.on('data', (chunk) => (serverLog += String(chunk)));
	server.stderr?.on('data', (chunk) => (serverLog += String(chunk)));
	const browser = await launchChromium();
	const hostLog: string[] = [];
	try {
		const base = `http://127.0.0.1:${port}`;
		for (let attempt = 0; ; attempt++) {
			const healthy = await fetch(`${base}/${vscodeServer ? 'version' : 'healthz'}`)
				.then((response) => response.ok)
				.catch(() => false);
			if (healthy) {
				break;
			}
			if (attempt > 300 || server.exitCode !== null) {
				throw new Error(`code-server did not start:\n${serverLog}`);
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		world.page = page;
		const exit = new Promise<number>((resolve) => {
			void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
		});
		await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
			// Arguments arrive as console.log gave them (format string first).
			const line = format(...(Array.isArray(args) ? args : [args]));
			hostLog.push(`[${level}] ${line}`);
			console.log(line);
		});
		const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
		const payload = JSON.stringify([
			['extensionDevelopmentPath', remote(PACKAGED ? consumer.dir : root)],
			['extensionTestsPath', remote(suitePath)],
		]);
		await page.goto(`${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
		let timer: NodeJS.Timeout | undefined;
		const code = await Promise.race([
			exit,
			new Promise<number>((resolve) => {
				timer = setTimeout(() => {
					console.error(`[integration] the extension host did not finish within ${HOST_TIMEOUT_MS / 1000} s; logs kept in ${logs}`);
					resolve(124);
				}, HOST_TIMEOUT_MS);
			}),
		]).finally(() => clearTimeout(timer));
		if (code !== 0) {
			await page.screenshot({ path: join(artifacts, 'integration-host-at-exit.png') }).catch(() => undefined);
		} else if (!PACKAGED && !FIRST_RUN && !process.env.ORG_POLICY_INTEGRATION_GREP) {
			// The whole day ran: VS Code opened again on the same folder (a reload, as after an update), the
			// extension without the tests, must show the chat view's conversation as the day left it.
			const developmentOnly = JSON.stringify([['extensionDevelopmentPath', remote(root)]]);
			await page.goto(`${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(developmentOnly)}`);
			countOutsideHost(world, 'the chat view shows the conversation again after VS Code opens anew', await uiChatAfterReload(page));
		}
		return code;
	} finally {
		writeFileSync(join(logs, 'code-server.log'), serverLog);
		writeFileSync(join(logs, 'extension-host.log'), hostLog.join('\n'));
		world.page = undefined;
		await browser.close().catch(() => undefined);
		try {
			process.kill(-server.pid!, 'SIGTERM');
		} catch {
			// already gone
		}
		rmSync(home, { recursive: true, force: true });
	}
}

export async function runElectron(suitePath: string, consumer: { dir: string }, env: Record<string, string>): Promise<number> {
	if (!process.env.DISPLAY && process.platform === 'linux' && !process.env.ORG_POLICY_UNDER_XVFB) {
		log('no display: re-running under xvfb-run');
		const result = spawnSync('xvfb-run', ['-a', process.execPath, ...process.execArgv, __filename], {
			stdio: 'inherit',
			env: { ...process.env, ORG_POLICY_UNDER_XVFB: '1' },
		});
		return result.status ?? 1;
	}
	const { runTests } = await import('@vscode/test-electron');
	const userData = mkdtempSync(join(tmpdir(), 'opp-electron-'));
	log(`host: Electron (${process.env.VSCODE_EXECUTABLE_PATH ?? 'downloaded VS Code'})`);
	try {
		return await runTests({
			...(process.env.VSCODE_EXECUTABLE_PATH ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH } : {}),
			extensionDevelopmentPath: [root, consumer.dir],
			extensionTestsPath: suitePath,
			extensionTestsEnv: env,
			launchArgs: [
				'--disable-extensions',
				'--disable-workspace-trust',
				'--user-data-dir',
				userData,
				'--skip-welcome',
				'--skip-release-notes',
			],
		});
	} catch {
		return 1;
	} finally {
		rmSync(userData, { recursive: true, force: true });
	}
}
