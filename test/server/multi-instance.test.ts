import assert from 'node:assert/strict';
import { validSettings } from '../support/policy-fixtures';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { ADMIN, bearer, EventReader, putPolicy, startService, type RunningService } from '../support/service';

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
		assert.equal((await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token, { 'if-none-match': '"2"' }) })).status, 304);

		// A stale write on the other instance is refused: If-Match holds across instances.
		assert.equal((await putPolicy(second.url, admin.access_token, validSettings.azureV1, '"1"')).status, 412);

		// Removing the member on one instance ends their stream and tokens on the other at once.
		assert.equal((await fetch(`${first.url}/api/v1/admin/members/${member.user.id}`, { method: 'DELETE', headers: bearer(admin.access_token) })).status, 204);
		assert.equal((await stream.next())?.event, 'revoked');
		assert.equal((await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
	});
});
