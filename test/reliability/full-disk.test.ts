import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, bearer, jsonOf, startService, type RunningService } from '../support/service';

/** Mounts a real 1 MiB tmpfs (root only, as in CI); undefined where this machine cannot. */
function smallFilesystem(): string | undefined {
	if (process.getuid?.() !== 0) {
		return undefined;
	}
	const dir = mkdtempSync(join(tmpdir(), 'opp-full-disk-'));
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=700', 'tmpfs', dir], { stdio: 'pipe' });
		return dir;
	} catch {
		rmSync(dir, { recursive: true, force: true });
		return undefined;
	}
}

/** Writes into `file` until the filesystem refuses (ENOSPC). */
function fillUp(file: string): void {
	const fd = openSync(file, 'w');
	const block = Buffer.alloc(4096, 1);
	try {
		for (;;) {
			writeSync(fd, block);
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') {
			throw error;
		}
	} finally {
		closeSync(fd);
	}
}

/**
 * A real full filesystem under the real service (SQLite): no double, so what SQLite and the query
 * builder do when COMMIT fails with SQLITE_FULL is what is tested.
 */
describe('a real full disk (a 1 MiB tmpfs for the data directory)', function () {
	this.timeout(60_000);
	let mountPoint: string | undefined;
	let service: RunningService | undefined;

	before(function () {
		mountPoint = smallFilesystem();
		if (!mountPoint) {
			this.skip(); // needs root to mount a tmpfs; .ci/run runs as root
		}
	});
	after(async () => {
		await service?.close();
		if (mountPoint) {
			execFileSync('umount', [mountPoint]);
			rmSync(mountPoint, { recursive: true, force: true });
		}
	});

	it('answers 507 with the cause, keeps serving reads, is not ready until a write succeeds, then saves again', async () => {
		const dataDir = join(mountPoint!, 'data');
		service = await startService({ dataDir });
		const admin = await service.signIn(ADMIN.email);
		const policy = async () => fetch(`${service!.url}/api/v1/policy`, { headers: bearer(admin.access_token) });
		const current = (await jsonOf(await policy())).policy.revision as number;
		const save = (revision: number, note: string) =>
			fetch(`${service!.url}/api/v1/admin/policy`, {
				method: 'PUT',
				headers: bearer(admin.access_token, { 'content-type': 'application/json', 'if-match': `"${revision}"` }),
				body: JSON.stringify({ enabled: false, adminContact: note.padEnd(200, '.') }),
			});
		const filler = join(mountPoint!, 'filler');
		fillUp(filler);
		// A save now needs pages the filesystem cannot give: SQLite fails the write, and rolls back.
		let refused: Response | undefined;
		for (let attempt = 0; attempt < 20; attempt++) {
			refused = await save(current, `attempt ${attempt}`);
			if (refused.status !== 200) {
				break;
			}
		}
		assert.equal(refused!.status, 507, await refused!.clone().text());
		const body = await jsonOf(refused!);
		assert.equal(body.error, 'storage_full');
		assert.match(body.message, /storage is full: the change was not saved/);
		assert.equal((await policy()).status, 200, 'reads go on');
		const ready = await fetch(`${service.url}/readyz`);
		assert.equal(ready.status, 503);
		assert.match((await jsonOf(ready)).reason, /storage is full/);

		rmSync(filler);
		chmodSync(mountPoint!, 0o700);
		const latest = (await jsonOf(await policy())).policy.revision as number;
		const saved = await save(latest, 'after space was freed');
		assert.equal(saved.status, 200, await saved.clone().text());
		assert.equal((await fetch(`${service.url}/readyz`)).status, 200, 'ready again once a write succeeded');
		writeFileSync(join(mountPoint!, 'probe'), 'space is back');
	});
});
