import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/server/store/store';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, jsonOf, putPolicy, startService } from '../support/service';

/**
 * A full disk cannot be made here, so the store double below fails writes exactly as SQLite
 * does on one: better-sqlite3's SqliteError, code SQLITE_FULL, message "database or disk is full".
 */
function withFullDisk(store: Store, full: { now: boolean }): Store {
	return new Proxy(store, {
		get(target, property, receiver) {
			const value: unknown = Reflect.get(target, property, receiver);
			if (property === 'appendRevision' && typeof value === 'function') {
				return (...args: unknown[]) => {
					if (full.now) {
						return Promise.reject(Object.assign(new Error('database or disk is full'), { name: 'SqliteError', code: 'SQLITE_FULL' }));
					}
					return (value as (...a: unknown[]) => unknown).apply(target, args);
				};
			}
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}

describe('reliability', function () {
	this.timeout(20_000);

	it('answers 507 with the cause when the disk is full, keeps serving reads, and is not ready until a write succeeds', async () => {
		const full = { now: false };
		const service = await startService({ wrapStore: (store) => withFullDisk(store, full) });
		try {
			const admin = await service.signIn(ADMIN.email);
			full.now = true;
			const refused = await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"');
			assert.equal(refused.status, 507);
			const body = await jsonOf(refused);
			assert.equal(body.error, 'storage_full');
			assert.match(body.message, /storage is full: the change was not saved/);
			assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin.access_token) })).status, 200, 'reads are served');
			const ready = await fetch(`${service.url}/readyz`);
			assert.equal(ready.status, 503);
			assert.match((await jsonOf(ready)).reason, /storage is full/);
			full.now = false;
			assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
			assert.equal((await fetch(`${service.url}/readyz`)).status, 200, 'ready again after a successful write');
		} finally {
			await service.close();
		}
	});

	it('refuses to start on an empty or damaged database file instead of creating a new organization (exit code and message)', async () => {
		for (const [name, content] of [
			['empty', ''],
			['damaged', 'SQLite format 3\u0000 but then nothing a database would hold'.repeat(200)],
		] as const) {
			const dataDir = mkdtempSync(join(tmpdir(), 'opp-reliability-'));
			try {
				writeFileSync(join(dataDir, 'policy.sqlite'), content);
				const child = spawn(
					process.execPath,
					['--import', 'tsx', join(__dirname, '../../src/server/main.ts'), '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
					{ stdio: ['ignore', 'pipe', 'pipe'] },
				);
				let output = '';
				child.stdout.on('data', (chunk) => (output += String(chunk)));
				child.stderr.on('data', (chunk) => (output += String(chunk)));
				const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
				assert.notEqual(code, 0, `${name}: the service must not start`);
				assert.match(output, /cannot open the SQLite database .*policy\.sqlite/, `${name}: ${output}`);
				assert.doesNotMatch(output, /listening on/);
			} finally {
				rmSync(dataDir, { recursive: true, force: true });
			}
		}
	});
});
