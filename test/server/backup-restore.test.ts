import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestBrowser } from '../support/sso-browser';
import { validSettings } from '../support/policy-fixtures';
import { eventually } from '../support/eventually';
import { ADMIN, bearer, EventReader, putPolicy, startService, type RunningService, type TokenSet } from '../support/service';

/**
 * The service's database restored from an earlier backup (a disk lost, a bad migration undone):
 * members' extensions hold revisions newer than any in it, and refuse a revision older than one they
 * applied. What their reads say they hold is noted, and the admin's next save is numbered past it.
 */
const root = join(__dirname, '..', '..');
const run = promisify(execFile);

describe('a database restored from an earlier backup', function () {
	this.timeout(30_000);
	let dataDir: string;
	let backupDir: string;
	let service: RunningService | undefined;

	beforeEach(() => {
		dataDir = mkdtempSync(join(tmpdir(), 'org-policy-restore-'));
		backupDir = mkdtempSync(join(tmpdir(), 'org-policy-backup-'));
	});
	afterEach(async () => {
		await service?.close();
		service = undefined;
		rmSync(dataDir, { recursive: true, force: true });
		rmSync(backupDir, { recursive: true, force: true });
	});

	const start = async () => (service = await startService({ dataDir }));
	const save = async (running: RunningService, admin: string, ifMatch: number, adminContact: string) => {
		const saved = await putPolicy(running.url, admin, { ...validSettings.plainCompatible, adminContact }, `"${ifMatch}"`);
		assert.equal(saved.status, 200, await saved.clone().text());
		return ((await saved.json()) as { policy: { revision: number } }).policy.revision;
	};
	const stream = async (running: RunningService, member: TokenSet, lastEventId: string) =>
		new EventReader(
			await fetch(`${running.url}/api/v1/policy/events`, { headers: bearer(member.access_token, { 'last-event-id': lastEventId }) }),
		);
	/** `org-policy-server admin backup`, run as an operator runs it, beside the running service. */
	const backUp = async (to: string) => {
		const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'src/server/main.ts'), 'admin', 'backup', '--to', to], {
			cwd: root,
			env: { ...process.env, ORG_POLICY_DATA_DIR: dataDir },
		});
		return stdout;
	};
	/** Revisions 1–3 saved and a member signed in, then backed up online; revisions 4 and 5 saved and taken after, then lost. */
	const restoredAfterTheMemberTookFive = async () => {
		const running = await start();
		const admin = (await running.signIn(ADMIN.email)).access_token;
		await save(running, admin, 1, 'a@acme.example');
		await save(running, admin, 2, 'b@acme.example');
		const member = await running.signIn((await running.addUser('dev@acme.example', 'member')).email);
		const backup = join(backupDir, 'policy.sqlite');
		assert.match(
			await backUp(backup),
			/^Backed up .*policy\.sqlite \(newest revision 3\) to .*policy\.sqlite\. Keep it as private as the data directory\.\n$/,
		);
		assert.equal(statSync(backup).mode & 0o777, 0o600, 'the copy holds the signing key: its owner alone reads it');
		await save(running, admin, 3, 'c@acme.example');
		assert.equal(await save(running, admin, 4, 'd@acme.example'), 5);
		const before = await stream(running, member, '3');
		assert.equal((await before.next())?.id, '5', 'the member took revision 5');
		await before.cancel();
		// Restored as the README says: the service stopped, the copy put in as policy.sqlite, nothing beside it.
		await running.close();
		rmSync(dataDir, { recursive: true, force: true });
		mkdirSync(dataDir, { mode: 0o700 });
		copyFileSync(backup, join(dataDir, 'policy.sqlite'));
		return { running: await start(), member };
	};

	it('admin backup refuses to write over a file, and names what is missing', async () => {
		await start();
		const taken = join(backupDir, 'taken.sqlite');
		writeFileSync(taken, 'keep me');
		await assert.rejects(backUp(taken), (error: { code: number; stderr: string }) => {
			assert.equal(error.code, 2);
			assert.match(error.stderr, /--to: .*taken\.sqlite exists already; choose a new file/);
			return true;
		});
		assert.equal(readFileSync(taken, 'utf8'), 'keep me');
		await assert.rejects(
			run(process.execPath, ['--import', 'tsx', join(root, 'src/server/main.ts'), 'admin', 'backup'], {
				cwd: root,
				env: { ...process.env, ORG_POLICY_DATA_DIR: dataDir },
			}),
			(error: { code: number; stderr: string }) => error.code === 2 && /--to: is required/.test(error.stderr),
		);
	});

	const consolePage = async (running: RunningService, name: string) => {
		const browser = new TestBrowser();
		await browser.submit(`${running.url}/console/login`, '/console/login', { email: ADMIN.email, password: ADMIN.password });
		return (await browser.open(`${running.url}/console/${name}`)).response.text();
	};
	const settingsPage = (running: RunningService) => consolePage(running, 'settings');
	const heldAhead = async (running: RunningService) => (await running.store.getOrganization('acme'))?.heldAhead?.revision;

	it("numbers the admin's next save past the revision members hold, says so on Settings, and the member takes it", async () => {
		const { running, member } = await restoredAfterTheMemberTookFive();
		assert.equal((await running.policies.current('acme'))?.revision, 3);
		// The member's VS Code reconnects naming revision 5: it is sent nothing older (it would refuse it), and what it holds is noted.
		const events = await stream(running, member, '5');
		await assert.rejects(events.next(300), /no event within the time allowed/);
		await eventually('the revision the member holds noted', async () => (await heldAhead(running)) === 5);
		const page = await settingsPage(running);
		assert.match(
			page,
			/The VS Code of dev@acme\.example holds revision 5 \(said <time[^>]*>[^<]*<\/time>\), newer than the newest saved here \(3\): this database was probably restored from an earlier backup\. Members refuse a revision older than one they applied, so they keep what they hold until you save\. <em>Save<\/em>, with the settings as they are or changed, makes revision 6, which every member takes\./,
		);
		assert.match(
			await consolePage(running, 'members'),
			/Members hold revisions up to 5, newer than any saved here \(3\): this database was probably restored from an earlier backup, and the sync states below are from before it\./,
		);
		const admin = (await running.signIn(ADMIN.email)).access_token;
		assert.equal(await save(running, admin, 3, 'after-restore@acme.example'), 6);
		const taken = await events.next();
		assert.equal(taken?.id, '6');
		assert.match(taken?.data ?? '', /after-restore@acme\.example/);
		await events.cancel();
		assert.doesNotMatch(await settingsPage(running), /id="held-ahead"/, 'the note goes once a save passed it');
		assert.doesNotMatch(await consolePage(running, 'members'), /id="held-ahead-members"/);
		assert.match(
			await consolePage(running, 'revisions'),
			/Revisions 4–5 are not in this database: saved before it was restored from an earlier backup\. Revision 6 was numbered past them, since members held them\./,
		);
		assert.equal(await save(running, admin, 6, 'next@acme.example'), 7, 'and numbering goes on from there');
	});

	it('notes what a read says it holds too (If-None-Match), and ignores a revision implausibly far ahead', async () => {
		const { running, member } = await restoredAfterTheMemberTookFive();
		const far = await fetch(`${running.url}/api/v1/policy`, { headers: bearer(member.access_token, { 'if-none-match': '"10004"' }) });
		assert.equal(far.status, 200);
		const read = await fetch(`${running.url}/api/v1/policy`, {
			headers: bearer(member.access_token, { 'if-none-match': '"5.v3"', 'org-policy-schema': '3' }),
		});
		assert.equal(read.status, 200, 'served revision 3 (the member refuses it, and keeps 5)');
		assert.equal(((await read.json()) as { policy: { revision: number } }).policy.revision, 3);
		await eventually('the revision the member holds noted', async () => (await heldAhead(running)) === 5);
		const admin = (await running.signIn(ADMIN.email)).access_token;
		assert.equal(
			await save(running, admin, 3, 'after-restore@acme.example'),
			6,
			'not 10,005: a member cannot make the numbers jump that far',
		);
	});
});
