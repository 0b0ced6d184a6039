import assert from 'node:assert/strict';
import type { GroupRecord } from '../../src/server/store/group-store';
import type { Store } from '../../src/server/store/store';
import { STORE_HARNESSES, type StoreHarness } from '../support/store-harness';
import { memberRecord } from '../support/records';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const member = (id: string, orgId = 'acme') => memberRecord(id, { orgId, createdAt: T0 });
const group = (id: string, displayName: string, orgId = 'acme'): GroupRecord => ({
	id,
	orgId,
	displayName,
	externalId: null,
	source: 'console',
	createdAt: T0,
	updatedAt: T0,
});

for (const { name, make } of STORE_HARNESSES) {
	describe(`${name} group store contract`, function () {
		this.timeout(20_000);
		let harness: StoreHarness;
		let store: Store;

		beforeEach(async () => {
			harness = await make();
			store = await harness.open();
			for (const org of ['acme', 'other']) {
				await store.createOrganization(
					{ id: org, name: org, createdAt: T0 },
					{ orgId: org, privateKeyPem: 'pem', publicKey: 'A'.repeat(43), createdAt: T0 },
					{ orgId: org, revision: 1, signedJson: '{}', signedJsonV1: null, signedJsonV2: null, createdAt: T0, createdBy: 'x' },
				);
			}
			for (const id of ['ann', 'bob', 'cy']) {
				await store.createUser(member(id));
			}
			await store.createUser(member('zed', 'other'));
		});
		afterEach(async () => {
			await store.close();
			await harness.cleanup();
		});

		it('creates groups with unique names per organization, whatever the case, holding only its own members', async () => {
			assert.equal(await store.groups.createGroup(group('g1', 'Engineering'), ['ann', 'bob', 'zed']), true);
			assert.equal(await store.groups.createGroup(group('g2', 'engineering'), []), false, 'the same name in another case');
			assert.equal(await store.groups.createGroup(group('g3', 'Engineering', 'other'), ['zed']), true, 'another organization may');
			assert.deepEqual((await store.groups.memberships('acme')).get('g1'), ['ann', 'bob'], 'zed is not in acme');
			assert.equal((await store.groups.findGroupByName('acme', 'ENGINEERING'))?.id, 'g1');
			assert.deepEqual(
				(await store.groups.listGroups('acme')).map((found) => found.displayName),
				['Engineering'],
			);
		});

		it('renames, changes members (add, remove, replace), lists a member’s groups, and deletes', async () => {
			await store.groups.createGroup(group('g1', 'Engineering'), ['ann']);
			await store.groups.createGroup(group('g2', 'Research'), []);
			assert.equal(await store.groups.updateGroup('acme', 'g2', { displayName: 'engineering' }, T0 + 1), false, 'taken');
			assert.equal(await store.groups.updateGroup('acme', 'g2', { displayName: 'AI Research', externalId: 'ext-2' }, T0 + 1), true);
			assert.deepEqual(await store.groups.changeMembers('acme', 'g1', { add: ['bob', 'bob', 'zed'] }), ['ann', 'bob']);
			assert.deepEqual(await store.groups.changeMembers('acme', 'g1', { remove: ['ann'] }), ['bob']);
			assert.deepEqual(await store.groups.changeMembers('acme', 'g2', { replace: ['cy', 'bob'] }), ['bob', 'cy']);
			assert.deepEqual(
				(await store.groups.groupsOf('bob')).map((found) => found.displayName),
				['AI Research', 'Engineering'],
			);
			await store.removeUser('bob', T0 + 2);
			assert.deepEqual((await store.groups.memberships('acme')).get('g2'), ['cy'], 'a removed member leaves their groups');
			assert.equal(await store.groups.deleteGroup('acme', 'g2'), true);
			assert.equal(await store.groups.deleteGroup('other', 'g1'), false, 'not across organizations');
			assert.deepEqual((await store.groups.groupsOf('cy')).length, 0);
		});
	});
}
