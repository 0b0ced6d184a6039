import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignedPolicy, type PolicyTrust } from '../../src/policy/signature';
import { openPostgresStore } from '../../src/server/store/postgres';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { freePort } from '../support/free-port';
import { validSettings } from '../support/policy-fixtures';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { ADMIN, deviceSignIn, putPolicy } from '../support/service';
import { killHard, startServiceInstance, type Storage } from '../support/service-process';

const KILLS = 3;
const WRITERS = 4;

interface Acknowledged {
	/** The response body of each save answered 200, by the revision it announced. */
	readonly saves: Map<number, string>;
	/** Anything other than a 200 or a dropped connection; expected to stay empty. */
	readonly unexpected: string[];
}

/**
 * Admins saving concurrently until the service is killed under them. A save counts as
 * acknowledged only when its 200 response arrived whole; a dropped connection is not one.
 */
async function saveUntilStopped(
	url: string,
	token: string,
	stop: { now: boolean },
	acknowledged: Acknowledged,
	counter: { next: number },
): Promise<void> {
	while (!stop.now) {
		const marker = `save-${counter.next++}`;
		const body = {
			...validSettings.plainCompatible,
			provider: { ...validSettings.plainCompatible.provider, headers: { 'X-Save': marker } },
		};
		let response: Response;
		let text: string;
		try {
			response = await putPolicy(url, token, body, '*');
			text = await response.text();
		} catch {
			return; // the connection went down with the process
		}
		if (response.status !== 200) {
			acknowledged.unexpected.push(`${marker}: ${response.status} ${text}`);
			return;
		}
		const revision = (JSON.parse(text) as { policy: { revision: number } }).policy.revision;
		if (acknowledged.saves.has(revision)) {
			acknowledged.unexpected.push(`revision ${revision} acknowledged twice`);
		}
		acknowledged.saves.set(revision, text);
	}
}

async function crashWhileSaving(storage: Storage, openStore: () => Promise<Store>): Promise<void> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	let child: ChildProcess = await startServiceInstance(storage, port);
	const acknowledged: Acknowledged = { saves: new Map(), unexpected: [] };
	try {
		const admin = await deviceSignIn(url, ADMIN.email, ADMIN.password);
		const trust: PolicyTrust = { signingKey: admin.policy_signing_key, organizationId: 'acme' };
		const counter = { next: 0 };
		for (let kill = 0; kill < KILLS; kill++) {
			const stop = { now: false };
			const writers = Array.from({ length: WRITERS }, () => saveUntilStopped(url, admin.access_token, stop, acknowledged, counter));
			// Let a few dozen saves through, then kill at a moment no one chose.
			await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 600));
			await killHard(child);
			stop.now = true;
			await Promise.all(writers);
			child = await startServiceInstance(storage, port);
			// The restarted service still signs with the key members pinned.
			const served = await fetch(`${url}/api/v1/policy`, { headers: { authorization: `Bearer ${admin.access_token}` } });
			assert.equal(served.status, 200, `after kill ${kill + 1} the admin's token still works`);
			verifySignedPolicy(await served.json(), trust);
		}
		child.kill('SIGTERM');
		await new Promise((resolve) => child.once('exit', resolve));

		assert.deepEqual(acknowledged.unexpected, []);
		assert.ok(acknowledged.saves.size >= KILLS * 5, `enough saves were acknowledged to mean something (${acknowledged.saves.size})`);
		const store = await openStore();
		try {
			const stored = await store.listRevisions('acme', 100_000);
			const numbers = stored.map((revision) => revision.revision).sort((a, b) => a - b);
			assert.deepEqual(
				numbers,
				Array.from({ length: numbers.length }, (_, index) => index + 1),
				'revisions are numbered 1…n with no gap or repeat',
			);
			for (const revision of stored) {
				verifySignedPolicy(JSON.parse(revision.signedJson), trust);
			}
			const byNumber = new Map(stored.map((revision) => [revision.revision, revision.signedJson]));
			const lost = [...acknowledged.saves].filter(([revision, body]) => byNumber.get(revision) !== body).map(([revision]) => revision);
			assert.deepEqual(lost, [], 'every acknowledged revision is stored exactly as it was answered');
		} finally {
			await store.close();
		}
	} finally {
		await killHard(child);
	}
}

describe('kill -9 during saves: an audit of every acknowledged revision', function () {
	this.timeout(120_000);

	it('SQLite: nothing acknowledged is lost or altered, signatures verify with the pinned key', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-crash-'));
		try {
			await crashWhileSaving({ dataDir }, () => openSqliteStore(dataDir));
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	(TEST_DATABASE_URL ? it : it.skip)(
		'PostgreSQL: nothing acknowledged is lost or altered, signatures verify with the pinned key',
		async () => {
			const database = await freshDatabase();
			try {
				await crashWhileSaving({ databaseUrl: database.url }, () => openPostgresStore(database.url));
			} finally {
				await database.drop();
			}
		},
	);
});
