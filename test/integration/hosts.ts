/**
 * The two extension hosts: the offline one (code-server's VS Code server, driven by headless
 * Chromium) and the Electron build through @vscode/test-electron.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/chromium';

import { artifacts, FIRST_RUN, PACKAGED, UPGRADE, log, packageExtension, root } from './harness';
import { hostEnvironment, installExtension, logsDir, prepareOfflineHost, remote, runSuiteOnPage, startHostServer } from './offline-host';
import { runUpgrade } from './upgrade-host';
import { uiChatAfterReload } from './ui-driver';
import { countOutsideHost, type World } from './world';

export async function runOffline(
	suitePath: string,
	consumer: { dir: string; vsix: string },
	env: Record<string, string>,
	world: World,
): Promise<number> {
	const host = await prepareOfflineHost();
	mkdirSync(logsDir, { recursive: true });
	if (UPGRADE) {
		return runUpgrade(host, suitePath, consumer, env, world);
	}
	const hostEnv = hostEnvironment(host, env);
	// The consumer is installed as a member's assistant would be; in the packaged run, ours is instead.
	installExtension(host, PACKAGED ? packageExtension() : consumer.vsix, hostEnv);
	const server = await startHostServer(host, hostEnv).catch((error: unknown) => {
		rmSync(host.home, { recursive: true, force: true });
		throw error;
	});
	const browser = await launchChromium();
	const hostLog: string[] = [];
	try {
		const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		world.page = page;
		const code = await runSuiteOnPage(
			host,
			page,
			[
				['extensionDevelopmentPath', remote(host, PACKAGED ? consumer.dir : root)],
				['extensionTestsPath', remote(host, suitePath)],
			],
			hostLog,
		);
		if (code !== 0) {
			await page.screenshot({ path: join(artifacts, 'integration-host-at-exit.png') }).catch(() => undefined);
		} else if (!PACKAGED && !FIRST_RUN && !process.env.ORG_POLICY_INTEGRATION_GREP) {
			// The whole day ran: VS Code opened again on the same folder (a reload, as after an update), the
			// extension without the tests, must show the chat view's conversation as the day left it.
			const developmentOnly = JSON.stringify([['extensionDevelopmentPath', remote(host, root)]]);
			await page.goto(`${host.base}/?folder=${encodeURIComponent(host.folder)}&payload=${encodeURIComponent(developmentOnly)}`);
			countOutsideHost(world, 'the chat view shows the conversation again after VS Code opens anew', await uiChatAfterReload(page));
		}
		return code;
	} finally {
		writeFileSync(join(logsDir, 'code-server.log'), server.output());
		writeFileSync(join(logsDir, 'extension-host.log'), hostLog.join('\n'));
		world.page = undefined;
		await browser.close().catch(() => undefined);
		await server.stop();
		rmSync(host.home, { recursive: true, force: true });
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
