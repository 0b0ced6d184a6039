/**
 * A member's VS Code updating the extension: release 0.2.0's package installed, VS Code started and
 * the suite's first half run in it (sign-in, policy, key); VS Code stopped, this release's package
 * installed over 0.2.0 as an update installs it, VS Code started again on the same profile, and the
 * suite's second half run. One browser profile throughout, as the member's own: the workbench keeps
 * what VS Code's web build stores in the browser (its secret storage among it) across both starts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';

import { artifacts, log, packageExtension, RELEASE_0_2_0_VSIX } from './harness';
import { hostEnvironment, installExtension, logsDir, type OfflineHost, remote, runSuiteOnPage, startHostServer } from './offline-host';
import { browserStorageHolding, filesHolding } from './stored-secrets';
import { GATEWAY_KEY } from './suite/upgrade-values';
import { countOutsideHost, type World } from './world';

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
			let inBrowser: string[] = [];
			try {
				const page = await context.newPage();
				world.page = page;
				const code = await runSuiteOnPage(host, page, payload, hostLog);
				if (code !== 0) {
					await page.screenshot({ path: join(artifacts, `integration-upgrade-${phase}-at-exit.png`) }).catch(() => undefined);
					return code;
				}
				inBrowser = await settledStorage(page, phase);
				world.page = undefined;
				await page.close();
			} finally {
				serverLog.push(server.output());
				await server.stop();
			}
			countOutsideHost(world, ...secretHeaderKept(phase, [...inBrowser, ...filesHolding(host.home, GATEWAY_KEY)]), 'updating from 0.2.0');
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

/**
 * Where the policy's masked header value lies outside secret storage once the workbench has written
 * its state back (it does so a moment after a change): present after 0.2.0 (awaited), absent after
 * the update (awaited). Secret storage's own entry is sealed by the workbench and not searched.
 */
async function settledStorage(page: Page, phase: 'before' | 'after'): Promise<string[]> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const found = (await browserStorageHolding(page, GATEWAY_KEY)).filter((where) => where !== 'localStorage/secrets.provider');
		if ((phase === 'before') === found.length > 0 || Date.now() > deadline) {
			return found;
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/**
 * 0.2.0 kept the signed policy in global state, which the workbench stores unencrypted, so the value
 * must be found after its start (else the check after the update proves nothing); this release keeps
 * it in secret storage and removes 0.2.0's copy, so after the update it must be found nowhere.
 */
function secretHeaderKept(phase: 'before' | 'after', holding: string[]): [string, { ok: boolean; detail: string }] {
	if (phase === 'before') {
		return [
			"0.2.0 kept the policy's masked header value in VS Code's global state, unencrypted (what the update must move)",
			{ ok: holding.length > 0, detail: 'found nowhere: the check after the update would prove nothing' },
		];
	}
	return [
		"after the update, the policy's masked header value is only in secret storage: not in global state, local storage or any file",
		{ ok: holding.length === 0, detail: `still in ${holding.join(', ')}` },
	];
}
