import assert from 'node:assert/strict';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

interface Listed {
	email: string;
	sync: string;
	policySchema: number | null;
	appliedRevision: number | null;
}

/**
 * Members whose extension is older than the policy: they say which policy schema they understand on
 * every call, and a revision their schema cannot carry (organization tokens need 3) is never given to
 * them. The admin sees who is left behind for that reason, apart from members merely behind.
 */
describe('members whose extension is too old for the policy', function () {
	this.timeout(60_000);
	let service: RunningService;
	let admin: string;

	before(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	after(async () => service.close());

	/** A member's extension that understands policy schemas up to `schema`: reads, then reports what it applied. */
	const extension = async (email: string, schema: string) => {
		await service.addUser(email, 'member');
		const token = (await service.signIn(email)).access_token;
		const headers = (extra: Record<string, string> = {}) => bearer(token, { 'org-policy-schema': schema, ...extra });
		return {
			async sync(): Promise<number> {
				const read = await jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: headers() }));
				const revision = read.policy.revision as number;
				if (read.policy.schemaVersion <= Number(schema)) {
					const applied = await fetch(`${service.url}/api/v1/policy/applied`, {
						method: 'POST',
						headers: headers({ 'content-type': 'application/json' }),
						body: JSON.stringify({ revision }),
					});
					assert.equal(applied.status, 204);
				}
				return revision;
			},
			/** Opens the event stream, as the extension does first, and leaves. */
			async connect(): Promise<void> {
				const controller = new AbortController();
				const stream = await fetch(`${service.url}/api/v1/policy/events`, { headers: headers(), signal: controller.signal });
				assert.equal(stream.status, 200);
				controller.abort();
			},
		};
	};

	const members = async (query = '') => {
		const response = await fetch(`${service.url}/api/v1/admin/members${query}`, { headers: bearer(admin) });
		assert.equal(response.status, 200);
		return (await jsonOf(response)) as { counts: Record<string, number>; matching: number; members: Listed[] };
	};
	const standing = async () =>
		Object.fromEntries(
			(await members()).members
				.filter((member) => member.email !== ADMIN.email)
				.map((member) => [member.email, [member.sync, member.policySchema, member.appliedRevision]]),
		);

	it('names members left behind by their extension apart from those merely behind, and only while the policy needs the update', async () => {
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		const old = await extension('old@acme.example', '2');
		const current = await extension('current@acme.example', '3');
		assert.equal(await old.sync(), 2);
		assert.equal(await current.sync(), 2);

		// Organization tokens: schema 2 has no room for them, so members on it cannot be given this revision.
		assert.equal((await putPolicy(service.url, admin, validSettings.organizationToken, '"2"')).status, 200);
		assert.equal(await current.sync(), 3);
		const signedInOnOld = await extension('newcomer@acme.example', '2');
		await signedInOnOld.connect();
		assert.deepEqual(await standing(), {
			'old@acme.example': ['extension too old', 2, 2],
			'current@acme.example': ['in sync', 3, 3],
			'newcomer@acme.example': ['extension too old', 2, null],
		});
		const tooOld = await members(`?${new URLSearchParams({ sync: 'extension too old' })}`);
		assert.deepEqual(
			tooOld.members.map((member) => member.email),
			['newcomer@acme.example', 'old@acme.example'],
		);
		assert.equal(tooOld.counts['extension too old'], 2);

		// A revision schema 2 can carry again: they are only behind, and catch up by themselves.
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"3"')).status, 200);
		assert.deepEqual((await standing())['old@acme.example'], ['behind', 2, 2]);
		assert.equal(await old.sync(), 4);
		assert.deepEqual((await standing())['old@acme.example'], ['in sync', 2, 4]);
	});

	it("counts a canary's members whose extension is too old for the revision rolling out to them", async () => {
		await createGroup(service.url, admin, 'Pilots', ['old@acme.example', 'current@acme.example']);
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"4"' }),
			body: JSON.stringify(validSettings.organizationToken),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		const status = await jsonOf(await fetch(`${service.url}/api/v1/admin/rollout`, { headers: bearer(admin) }));
		assert.deepEqual(
			[status.canaryMembers.members, status.canaryMembers.extensionTooOld],
			[2, 1],
			'the old extension in the canary can never adopt it',
		);
		assert.equal(status.everyoneElse.extensionTooOld, 0, 'everyone else keeps revision 4, which schema 2 carries');
	});
});
