import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTAGE_GRACE_MS } from '../../src/server/accounts/tokens';
import { freePort } from '../support/free-port';
import { hasPostgresServer, postgresCluster, until } from '../support/postgres-cluster';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, form, jsonOf, ManualClock, putPolicy, startService, type RunningService } from '../support/service';

/**
 * While PostgreSQL is down, two instances keep serving members the newest signed revision from
 * memory, and tokens they checked shortly before (OUTAGE_GRACE_MS); readiness reports the outage;
 * a revoked token does not read; after the bound nothing stale is served; members catch up after.
 */
(hasPostgresServer ? describe : describe.skip)('reads through a PostgreSQL outage', function () {
	this.timeout(120_000);

	it('answers reads from memory on both instances, refuses a revoked token, stops at the stated bound, and catches up', async () => {
		const dir = join(tmpdir(), `opp-pg-outage-${randomBytes(4).toString('hex')}`);
		const database = postgresCluster(dir, await freePort());
		const clock = new ManualClock(Date.now());
		const services: RunningService[] = [];
		try {
			const url = database.start();
			services.push(await startService({ databaseUrl: url, clock }), await startService({ databaseUrl: url, clock }));
			const [first, second] = services as [RunningService, RunningService];
			await first.addUser('kept@acme.example', 'member');
			await first.addUser('revoked@acme.example', 'member');
			const kept = await first.signIn('kept@acme.example');
			const revoked = await first.signIn('revoked@acme.example');
			const read = (service: RunningService, token: string) => fetch(`${service.url}/api/v1/policy`, { headers: bearer(token) });
			for (const service of services) {
				for (const token of [kept.access_token, revoked.access_token]) {
					assert.equal((await read(service, token)).status, 200);
				}
			}
			// Revoked on the first instance; the second hears of it and forgets that token only.
			assert.equal((await form(`${first.url}/oauth/revoke`, { token: revoked.access_token, client_id: 'vscode' })).status, 200);
			await until('the second instance refuses the revoked token', async () => (await read(second, revoked.access_token)).status === 401);

			database.stop();
			await until('both instances report the outage', async () =>
				(await Promise.all(services.map(async (service) => (await fetch(`${service.url}/readyz`)).status))).every(
					(status) => status === 503,
				),
			);
			// Past the normal 5 s reuse of a checked token: each read now tries the database, and falls back.
			clock.advance(6000);
			for (const service of services) {
				const answer = await read(service, kept.access_token);
				assert.equal(answer.status, 200, `reads from memory on ${service.url}: ${await answer.clone().text()}`);
				assert.equal((await jsonOf(answer)).policy.revision, 1);
				const refused = await read(service, revoked.access_token);
				assert.notEqual(refused.status, 200, 'the revoked token does not read');
			}
			// Past the bound, nothing checked before the outage is trusted: the service says it cannot check.
			clock.advance(OUTAGE_GRACE_MS + 1000);
			const stale = await read(second, kept.access_token);
			assert.equal(stale.status, 503);
			assert.equal((await jsonOf(stale)).error, 'store_unavailable');
			assert.equal(stale.headers.get('retry-after'), '5');

			database.start();
			await until('both instances ready again', async () =>
				(await Promise.all(services.map(async (service) => (await fetch(`${service.url}/readyz`)).status))).every(
					(status) => status === 200,
				),
			);
			const admin = await first.signIn(ADMIN.email);
			assert.equal((await putPolicy(first.url, admin.access_token, validSettings.plainCompatible, '*')).status, 200);
			await until(
				'the member reads revision 2 through the second instance',
				async () => (await jsonOf(await read(second, kept.access_token))).policy?.revision === 2,
			);
		} finally {
			await Promise.all(services.map((service) => service.close().catch(() => undefined)));
			database.stop();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
