import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Whether PostgreSQL's server binaries are here (Debian's `postgresql`), to start clusters of a test's own. */
export const hasPostgresServer =
	existsSync('/usr/lib/postgresql') &&
	readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`));

/**
 * A PostgreSQL cluster of a test's own, on loopback (the shared one must not stop under other
 * tests). Not inside a private temporary folder: the cluster's own user (postgres, when tests run
 * as root) must reach `dir`.
 */
export function postgresCluster(dir: string, port: number): { start: () => string; stop: () => string } {
	const run = (command: 'start' | 'stop') =>
		execFileSync('bash', [join(root, 'scripts', 'test-postgres.sh'), command], {
			env: { ...process.env, ORG_POLICY_PG_DIR: dir, ORG_POLICY_PG_PORT: String(port) },
			encoding: 'utf8',
		}).trim();
	return { start: () => run('start'), stop: () => run('stop') };
}

/** Polls `check` every 200 ms until it holds, failing with `what` after the timeout. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
		if (await check()) {
			return;
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	assert.fail(`timed out waiting for ${what}`);
}
