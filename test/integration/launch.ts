/**
 * Runs test/integration/suite inside a real VS Code extension host, against a real policy
 * service and a recording OpenAI-compatible endpoint on loopback.
 *
 * Host: the Electron build through @vscode/test-electron when VSCODE_EXECUTABLE_PATH is set
 * (or ORG_POLICY_VSCODE_DOWNLOAD=1 allows a download); otherwise the offline host — code-server's
 * VS Code server from the npm registry, driven by headless Chromium (shared/vscode-host.md).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildConsumer, buildSuite, log, PACKAGED, root, UPGRADE } from './harness';
import { runElectron, runOffline } from './hosts';
import { startWorld } from './world';

async function main(): Promise<void> {
	const electron = Boolean(process.env.VSCODE_EXECUTABLE_PATH) || process.env.ORG_POLICY_VSCODE_DOWNLOAD === '1';
	if ((PACKAGED || UPGRADE) && electron) {
		throw new Error(
			'--packaged and --upgrade run in the offline host (they install .vsix files into code-server); unset VSCODE_EXECUTABLE_PATH',
		);
	}
	if (!existsSync(join(root, 'dist', 'extension.js'))) {
		throw new Error('dist/extension.js is missing: run npm run build first');
	}
	const suitePath = await buildSuite();
	const consumer = await buildConsumer();
	const { world, env, control } = await startWorld();
	let code: number;
	try {
		code = electron ? await runElectron(suitePath, consumer, env) : await runOffline(suitePath, consumer, env, world);
	} finally {
		await world.service?.close().catch(() => undefined);
		await world.gateway?.close();
		await world.endpoint.close();
		await world.idp.close();
		control.close();
		rmSync(world.dataDir, { recursive: true, force: true });
	}
	const stats = world.stats ?? { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
	if (process.env.TEST_STATS_FILE) {
		writeFileSync(process.env.TEST_STATS_FILE, JSON.stringify(stats));
	}
	log(
		`extension host exited with ${code}: ${stats.passed} passed, ${stats.failed} failed${stats.skipped ? `, ${stats.skipped} skipped` : ''}`,
	);
	process.exit(code === 0 && stats.failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
	console.error('[integration] launcher failed:', error);
	process.exit(1);
});
