import assert from 'node:assert/strict';
import { memberRecord } from '../support/records';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

interface Listing {
	total: number;
	matching: number;
	counts: Record<string, number>;
	members: { email: string; sync: string }[];
}

/** GET /api/v1/admin/members for an organization too large for one answer: searched, narrowed, a page at a time. */
describe('the members API: search, sync state and pages', function () {
	this.timeout(60_000);
	let service: RunningService;
	let admin: string;

	before(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		for (let index = 0; index < 30; index++) {
			const id = `member-${index.toString().padStart(2, '0')}`;
			await service.store.createUser(memberRecord(id));
			if (index < 5) {
				await service.store.recordApplied({ userId: id, revision: 2, at: Date.now() });
			}
		}
		await createGroup(service.url, admin, 'Data Science', ['member-03@acme.example', 'member-20@acme.example']);
	});
	after(async () => service.close());

	const list = async (query: string) => {
		const response = await fetch(`${service.url}/api/v1/admin/members${query}`, { headers: bearer(admin) });
		return { status: response.status, body: (await jsonOf(response)) as Listing & { message?: string } };
	};

	it('answers every member without a query, as before, with the totals beside them', async () => {
		const { status, body } = await list('');
		assert.equal(status, 200);
		assert.equal(body.members.length, 31);
		assert.deepEqual([body.total, body.matching], [31, 31]);
		assert.deepEqual(body.counts, { 'in sync': 5, behind: 0, 'extension too old': 0, 'never synced': 26, deactivated: 0 });
		assert.deepEqual(
			body.members.map((member) => member.email),
			[...body.members.map((member) => member.email)].sort(),
			'in e-mail order',
		);
	});

	it('finds members by part of an address or of a group name, in any case, and narrows to a sync state', async () => {
		const byGroup = await list('?q=SCIENCE');
		assert.deepEqual(
			byGroup.body.members.map((member) => member.email),
			['member-03@acme.example', 'member-20@acme.example'],
		);
		assert.deepEqual([byGroup.body.total, byGroup.body.matching], [31, 2]);
		assert.deepEqual(
			byGroup.body.counts,
			{ 'in sync': 1, behind: 0, 'extension too old': 0, 'never synced': 1, deactivated: 0 },
			'counted within the search',
		);

		const inSync = await list('?q=science&sync=in%20sync');
		assert.deepEqual(
			inSync.body.members.map((member) => [member.email, member.sync]),
			[['member-03@acme.example', 'in sync']],
		);
		assert.equal(inSync.body.matching, 1);

		const inGroup = await list('?group=data%20SCIENCE');
		assert.deepEqual(
			inGroup.body.members.map((member) => member.email),
			['member-03@acme.example', 'member-20@acme.example'],
			'a group by its whole name, in any case',
		);
		assert.equal((await list('?group=data')).body.matching, 0, 'not part of a name');
	});

	it('cuts the list into pages with limit and offset', async () => {
		const pages = [await list('?limit=12'), await list('?limit=12&offset=12'), await list('?limit=12&offset=24')];
		assert.deepEqual(
			pages.map((page) => page.body.members.length),
			[12, 12, 7],
		);
		const all = (await list('')).body.members.map((member) => member.email);
		assert.deepEqual(
			pages.flatMap((page) => page.body.members.map((member) => member.email)),
			all,
			'the pages together are the whole list, each member once',
		);
		assert.deepEqual((await list('?offset=40')).body.members, []);
	});

	it('refuses a query it cannot read, naming the field', async () => {
		for (const [query, message] of [
			['?limit=0', 'limit: must be a whole number from 1 to 1000'],
			['?limit=5000', 'limit: must be a whole number from 1 to 1000'],
			['?limit=2.5', 'limit: must be a whole number from 1 to 1000'],
			['?limit=ten', 'limit: must be a number'],
			['?offset=-1', 'offset: must be a whole number, 0 or more'],
			['?sync=lost', 'sync: must be "in sync", "behind", "extension too old", "never synced" or "deactivated"'],
			[`?q=${'x'.repeat(321)}`, 'q: must be at most 320 characters'],
		] as const) {
			const { status, body } = await list(query);
			assert.deepEqual([status, body.message], [400, message], query.slice(0, 20));
		}
	});
});
