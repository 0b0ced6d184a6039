/**
 * A member's VS Code updating the extension: release 0.2.0's package installed, VS Code started and
 * the suite's first half run in it (sign-in, policy, key); VS Code stopped, this release's package
 * installed over 0.2.0 as an update installs it, VS Code started again on the same profile, and the
 * suite's second half run. One browser profile throughout, as the member's own: the workbench keeps
 * what VS Code's web build stores in the browser (its secret storage among it) across both starts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../support/chromium';

import { artifacts, log, packageExtension, RELEASE_0_2_0_VSIX } from './harness';
import { hostEnvironment, installExtension, logsDir, type OfflineHost, remote, runSuiteOnPage, startHostServer } from './offline-host';
import type { World } from './world';

const STARTS = [
	{ phase: 'before', says: "release 0.2.0 installed, as members have it: the member signs in and gets the admin's policy" },
	{ phase: 'after', says: 'this release installed over 0.2.0, as an update installs it: VS Code starts again on the same profile' },
] as const;

export async function runUpgrade(
	host: OfflineHost,
	suitePath: string,
	consumer: { dir: string },
	env: Record<string, string>,
	world: World,
): Promise<number> {
	const browser = await launchChromium();
	const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
	const hostLog: string[] = [];
	const serverLog: string[] = [];
	// The suite runs beside the installed package; the development extension is only the test consumer.
	const payload: [string, string][] = [
		['extensionDevelopmentPath', remote(host, consumer.dir)],
		['extensionTestsPath', remote(host, suitePath)],
	];
	try {
		for (const { phase, says } of STARTS) {
			const hostEnv = hostEnvironment(host, { ...env, ORG_POLICY_INTEGRATION_UPGRADE: phase });
			installExtension(host, phase === 'before' ? RELEASE_0_2_0_VSIX : packageExtension(), hostEnv);
			log(`upgrade: ${says}`);
			const server = await startHostServer(host, hostEnv);
			try {
				const page = await context.newPage();
				world.page = page;
				const code = await runSuiteOnPage(host, page, payload, hostLog);
				if (code !== 0) {
					await page.screenshot({ path: join(artifacts, `integration-upgrade-${phase}-at-exit.png`) }).catch(() => undefined);
					return code;
				}
				world.page = undefined;
				await page.close();
			} finally {
				serverLog.push(server.output());
				await server.stop();
			}
		}
		return 0;
	} finally {
		writeFileSync(join(logsDir, 'code-server.log'), serverLog.join('\n── VS Code started again ──\n'));
		writeFileSync(join(logsDir, 'extension-host.log'), hostLog.join('\n'));
		world.page = undefined;
		await browser.close().catch(() => undefined);
		rmSync(host.home, { recursive: true, force: true });
	}
}
