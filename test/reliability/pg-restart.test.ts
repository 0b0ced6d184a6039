import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realScheduler } from '../../src/extension/base/scheduler';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { whenChanged } from '../support/eventually';
import { freePort } from '../support/free-port';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, deviceSignIn, putPolicy } from '../support/service';
import { killHard, startServiceInstance } from '../support/service-process';
import { hasPostgresServer, postgresCluster, until } from '../support/postgres-cluster';

const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status;

(hasPostgresServer ? describe : describe.skip)('PostgreSQL restarted under two instances', function () {
	this.timeout(120_000);

	it("fan-out between instances comes back: not ready while the database is down, then a save on one reaches the other's member", async () => {
		// Not inside a private temporary folder: the cluster's own user (postgres, when tests run as root) must reach it.
		const dir = join(tmpdir(), `opp-pg-restart-${randomBytes(4).toString('hex')}`);
		const [databasePort, first, second] = [await freePort(), await freePort(), await freePort()];
		const database = postgresCluster(dir, databasePort);
		const instances: ChildProcess[] = [];
		const sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, realScheduler, { ackSpreadMs: 0 });
		const stateOf = (predicate: (state: SyncState) => boolean, what: string) =>
			whenChanged(() => sync.current, sync.onDidChangeState, predicate, what, 30_000);
		try {
			const url = database.start();
			instances.push(await startServiceInstance({ databaseUrl: url }, first));
			instances.push(await startServiceInstance({ databaseUrl: url }, second));
			const admin = await deviceSignIn(`http://127.0.0.1:${first}`, ADMIN.email, ADMIN.password);
			sync.start({
				connection: { serverUrl: `http://127.0.0.1:${second}`, fetch: globalThis.fetch },
				trust: { signingKey: admin.policy_signing_key, organizationId: 'acme' },
				accessToken: async () => admin.access_token,
				refresh: async () => true,
			});
			await stateOf((state) => state.status === 'in-sync' && state.policy?.document.revision === 1, 'revision 1 from the second instance');

			database.stop();
			await until(
				'both instances not ready while PostgreSQL is down',
				async () => (await ready(first)) === 503 && (await ready(second)) === 503,
			);
			database.start();
			await until('both instances ready again', async () => (await ready(first)) === 200 && (await ready(second)) === 200);

			let saved: Response | undefined;
			await until(
				'a save on the first instance',
				async () =>
					(saved = await putPolicy(`http://127.0.0.1:${first}`, admin.access_token, validSettings.plainCompatible, '*')).status === 200,
			);
			const revision = ((await saved!.json()) as { policy: { revision: number } }).policy.revision;
			await stateOf(
				(state) => state.status === 'in-sync' && state.policy?.document.revision === revision,
				`revision ${revision} through the second instance after the restart`,
			);
		} finally {
			sync.dispose();
			await Promise.all(instances.map(killHard));
			database.stop();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
