import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SqliteStore } from '../../src/server/store/sqlite';
import type { RevisionRecord } from '../../src/server/store/store';

const org = { id: 'acme', name: 'Acme Corp', createdAt: '2026-11-26T10:00:00.000Z' };
const key = { orgId: 'acme', privateKeyPem: 'pem', createdAt: org.createdAt };
const revision = (n: number, by = 'admin@acme.example'): RevisionRecord => ({ orgId: 'acme', revision: n, signedJson: `{"r":${n}}`, createdAt: org.createdAt, createdBy: by });

describe('SQLite store contract', () => {
	let dir: string;
	let store: SqliteStore;

	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'opp-store-'));
		store = SqliteStore.open(dir);
		await store.createOrganization(org, key, revision);
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('keeps its data in one WAL-mode file and applies each migration once', async () => {
		assert.equal(store.schemaVersion(), MIGRATIONS.length);
		await store.close();
		store = SqliteStore.open(dir);
		assert.equal(store.schemaVersion(), MIGRATIONS.length);
		assert.equal((await store.latestRevision('acme'))?.revision, 1);
		const raw = new Database(join(dir, 'policy.sqlite'), { readonly: true });
		assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
		assert.equal(raw.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get(), MIGRATIONS.length);
		raw.close();
	});

	it('appends revisions monotonically and refuses a stale expectation without writing', async () => {
		assert.deepEqual((await store.appendRevision('acme', 1, (n) => revision(n))).ok, true);
		const stale = await store.appendRevision('acme', 1, (n) => revision(n, 'late@acme.example'));
		assert.equal(stale.ok, false);
		assert.equal(stale.ok ? undefined : stale.current?.revision, 2);
		assert.equal((await store.appendRevision('acme', 'any', (n) => revision(n))).ok, true);
		assert.deepEqual((await store.listRevisions('acme', 10)).map((r) => r.revision), [3, 2, 1]);
	});

	it('rolls a failed organization setup back whole', async () => {
		await assert.rejects(
			store.createOrganization({ ...org, id: 'globex' }, { ...key, orgId: 'globex' }, () => {
				throw new Error('signing failed');
			}),
			/signing failed/,
		);
		assert.equal(await store.getOrganization('globex'), undefined);
		assert.equal(await store.getSigningKey('globex'), undefined);
	});

	it('removes a user and revokes every token they hold in one step', async () => {
		await store.createUser({ id: 'u1', orgId: 'acme', email: 'dev@acme.example', role: 'member', passwordHash: null, createdAt: org.createdAt, lastSeenAt: null, appliedRevision: null, appliedAt: null });
		const token = { userId: 'u1', orgId: 'acme', familyId: 'f', expiresAt: null, createdAt: 1, usedAt: null, revokedAt: null, csrfToken: null, label: null };
		await store.insertTokens([
			{ ...token, tokenHash: 'a', kind: 'access' },
			{ ...token, tokenHash: 'r', kind: 'refresh' },
		]);
		assert.equal(await store.removeUser('u1', 42), true);
		assert.equal((await store.getToken('a'))?.revokedAt, 42);
		assert.equal((await store.getToken('r'))?.revokedAt, 42);
		assert.equal(await store.getUser('u1'), undefined);
	});

	it('marks a refresh token used exactly once', async () => {
		await store.insertTokens([{ tokenHash: 'r', kind: 'refresh', userId: 'u', orgId: 'acme', familyId: 'f', expiresAt: null, createdAt: 1, usedAt: null, revokedAt: null, csrfToken: null, label: null }]);
		assert.equal(await store.markTokenUsed('r', 5), true);
		assert.equal(await store.markTokenUsed('r', 6), false);
	});
});
