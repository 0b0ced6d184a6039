import assert from 'node:assert/strict';
import { eventually } from '../support/eventually';
import { validSettings } from '../support/policy-fixtures';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import pg from 'pg';
import {
	ADMIN,
	bearer,
	EventReader,
	form,
	jsonOf,
	putPolicy,
	startService,
	submitPageForm,
	type RunningService,
	createGroup,
} from '../support/service';

(TEST_DATABASE_URL ? describe : describe.skip)('several service instances on one PostgreSQL database', function () {
	this.timeout(30_000);
	let database: Awaited<ReturnType<typeof freshDatabase>>;
	let first: RunningService;
	let second: RunningService;

	beforeEach(async () => {
		database = await freshDatabase();
		[first, second] = await Promise.all([startService({ databaseUrl: database.url }), startService({ databaseUrl: database.url })]);
	});
	afterEach(async () => {
		await Promise.all([first.close(), second.close()]);
		await database.drop();
	});

	it('creates the organization once, and a save on one reaches members streaming from the other (LISTEN/NOTIFY)', async () => {
		assert.equal((await first.store.listOrganizations()).length, 1);
		await first.addUser('dev@acme.example', 'member');
		const member = await second.signIn('dev@acme.example');
		const admin = await first.signIn(ADMIN.email);
		const stream = new EventReader(await fetch(`${second.url}/api/v1/policy/events`, { headers: bearer(member.access_token) }));
		assert.equal((await stream.next())?.id, '1');

		assert.equal((await putPolicy(first.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		const event = await stream.next();
		assert.equal(event?.id, '2', 'the other instance fans the revision out');
		assert.equal(
			(await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token, { 'if-none-match': '"2"' }) })).status,
			304,
		);

		// A stale write on the other instance is refused: If-Match holds across instances.
		assert.equal((await putPolicy(second.url, admin.access_token, validSettings.azureV1, '"1"')).status, 412);

		// Removing the member on one instance ends their stream and tokens on the other at once.
		assert.equal(
			(await fetch(`${first.url}/api/v1/admin/members/${member.user.id}`, { method: 'DELETE', headers: bearer(admin.access_token) }))
				.status,
			204,
		);
		assert.equal((await stream.next())?.event, 'revoked');
		assert.equal((await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
	});

	it('a change of groups on one instance reaches the member’s stream on the other with the effective document it makes', async () => {
		await first.addUser('dev@acme.example', 'member');
		const member = await second.signIn('dev@acme.example');
		const admin = (await first.signIn(ADMIN.email)).access_token;
		const settings = {
			enabled: true,
			provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', models: { allowed: ['gpt-4o'] } },
			overlays: [{ group: 'Research', models: { allowed: ['o3'] } }],
		};
		assert.equal((await putPolicy(first.url, admin, settings, '"1"')).status, 200);
		// The other instance learns of the save through the database's notification, moments later.
		await eventually(
			'the other instance to serve revision 2',
			async () => (await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token) })).headers.get('etag') === '"2"',
		);
		const stream = new EventReader(
			await fetch(`${second.url}/api/v1/policy/events`, { headers: bearer(member.access_token, { 'org-policy-schema': '3' }) }),
		);
		const initial = JSON.parse((await stream.next())?.data ?? '{}').policy;
		assert.deepEqual([initial.revision, initial.provider.models.allowed, initial.appliedOverlays], [2, ['gpt-4o'], undefined]);

		await createGroup(first.url, admin, 'Research', ['dev@acme.example']);
		const regrouped = JSON.parse((await stream.next())?.data ?? '{}').policy;
		assert.deepEqual(
			[regrouped.revision, regrouped.provider.models.allowed, regrouped.appliedOverlays],
			[2, ['o3'], ['Research']],
			'the other instance sends the member the document their new group makes',
		);
	});

	it('an admin API token revoked, a role changed and a member signed out on one instance hold on the other at once, past its cache', async () => {
		const admin = (await first.signIn(ADMIN.email)).access_token;
		const lead = await first.addUser('lead@acme.example', 'admin');
		const leadToken = (await second.signIn(lead.email)).access_token;
		const made = await jsonOf(
			await fetch(`${first.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'pipeline' }),
			}),
		);
		const onSecond = (token: string) => fetch(`${second.url}/api/v1/admin/members`, { headers: bearer(token) });
		// Resolved on the second instance, and remembered there for 5 s: only the notification can end them sooner.
		assert.equal((await onSecond(made.token)).status, 200);
		assert.equal((await onSecond(leadToken)).status, 200);
		const soon = (what: string, condition: () => Promise<boolean>) => eventually(what, condition, 2500);

		assert.equal((await fetch(`${first.url}/api/v1/admin/tokens/${made.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
		await soon('the revoked API token refused on the other instance', async () => (await onSecond(made.token)).status === 401);

		const demoted = await fetch(`${first.url}/api/v1/admin/members/${lead.id}`, {
			method: 'PATCH',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ role: 'member' }),
		});
		assert.equal(demoted.status, 200);
		await soon('the demoted admin refused on the other instance', async () => (await onSecond(leadToken)).status === 403);

		assert.equal(
			(await fetch(`${first.url}/api/v1/admin/members/${lead.id}/sign-out`, { method: 'POST', headers: bearer(admin) })).status,
			204,
		);
		await soon(
			'the signed-out member refused on the other instance',
			async () => (await fetch(`${second.url}/api/v1/policy`, { headers: bearer(leadToken) })).status === 401,
		);
	});

	it('a password reset on one instance ends the member’s stream and tokens on the other at once, and its link works on either', async () => {
		const admin = (await first.signIn(ADMIN.email)).access_token;
		const dev = await first.addUser('dev@acme.example', 'member');
		const member = await second.signIn(dev.email);
		const stream = new EventReader(await fetch(`${second.url}/api/v1/policy/events`, { headers: bearer(member.access_token) }));
		assert.equal((await stream.next())?.id, '1');
		const made = await jsonOf(
			await fetch(`${first.url}/api/v1/admin/members/${dev.id}/password-reset`, { method: 'POST', headers: bearer(admin) }),
		);
		// Made on the first instance, used on the second (one link, one database).
		const link = made.link.replace(first.url, second.url);
		assert.equal((await submitPageForm(link, { password: 'a fresh passphrase for spring' })).status, 200);
		assert.equal((await stream.next())?.event, 'revoked');
		assert.equal((await fetch(`${first.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
		assert.equal((await fetch(made.link)).status, 404, 'used, on the instance that made it too');
		await first.signIn(dev.email, 'a fresh passphrase for spring');
	});

	it('reconnects a lost notification connection, is not ready meanwhile, and catches up on what it missed', async () => {
		await first.addUser('dev@acme.example', 'member');
		const member = await second.signIn('dev@acme.example');
		const admin = await first.signIn(ADMIN.email);
		const stream = new EventReader(await fetch(`${second.url}/api/v1/policy/events`, { headers: bearer(member.access_token) }));
		assert.equal((await stream.next())?.id, '1');
		assert.equal((await fetch(`${second.url}/readyz`)).status, 200);

		// What a database restart does to the listening connections (the pools reconnect on their own).
		const killer = new pg.Client({ connectionString: database.url });
		await killer.connect();
		await killer.query(
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
		);
		await killer.end();
		let degraded: { status: number; body: { status: string; reason?: string } } | undefined;
		for (const deadline = Date.now() + 5000; !degraded && Date.now() < deadline;) {
			const ready = await fetch(`${second.url}/readyz`);
			if (ready.status === 503) {
				degraded = { status: ready.status, body: await jsonOf(ready) };
			}
		}
		assert.equal(degraded?.body.status, 'degraded', 'readiness fails while notifications are down');
		assert.match(degraded?.body.reason ?? '', /notification connection is down/);

		// A save while the second instance cannot hear it: its members still get it, and reads are current.
		assert.equal((await putPolicy(first.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		assert.equal((await stream.next(10_000))?.id, '2', 'the stream on the other instance caught up');
		const read = await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token) });
		assert.equal(read.headers.get('etag'), '"2"');
		for (const deadline = Date.now() + 5000; (await fetch(`${second.url}/readyz`)).status !== 200 && Date.now() < deadline;) {
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		assert.equal((await fetch(`${second.url}/readyz`)).status, 200, 'ready again once reconnected');

		// A revocation made while deaf still ends the stream once the connection is back.
		const killer2 = new pg.Client({ connectionString: database.url });
		await killer2.connect();
		await killer2.query(
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
		);
		await killer2.end();
		assert.equal((await form(`${first.url}/oauth/revoke`, { token: member.refresh_token })).status, 200);
		assert.equal((await stream.next(10_000))?.event, 'revoked');
	});
});
