import assert from 'node:assert/strict';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { scim, scimToken } from '../support/scim-client';
import { jsonOf, startService, type RunningService } from '../support/service';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * SCIM Groups with the request bodies Entra ID and Okta send, as their provisioning documentation
 * shows them (Microsoft Learn, "Tutorial: Develop and plan provisioning for a SCIM endpoint";
 * Okta Developer, "SCIM 2.0 protocol reference": create, rename, members added and removed, the
 * `displayName eq` lookup).
 */
describe('SCIM 2.0 Groups, as Entra ID and Okta provision them', function () {
	this.timeout(30_000);
	let idp: TestIdentityProvider;
	let service: RunningService;
	let directory: ReturnType<typeof scim>;
	let people: Record<string, string>;

	beforeEach(async () => {
		const port = await freePort();
		idp = await startIdentityProvider([`http://127.0.0.1:${port}/console/sso/callback`]);
		service = await startService({ port });
		const admin = await adminConsole(service);
		assert.equal(
			(await saveSsoSettings(admin, service, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }))).status,
			200,
		);
		directory = scim(service, await scimToken(admin, service));
		people = {};
		for (const name of ['ann', 'bob', 'cy']) {
			people[name] = (await jsonOf(await directory.create(`${name}@acme.test`))).id;
		}
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
	});

	const members = async (id: string) =>
		((await jsonOf(await directory.call('GET', `/Groups/${id}`))).members as { value: string; display: string }[])
			.map((member) => member.display)
			.sort();

	it('follows Entra ID: create with externalId, look up by displayName without members (also by .search, and at the root), add and remove members, rename', async () => {
		const created = await directory.call('POST', '/Groups', {
			schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
			externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
			displayName: 'Engineering',
			meta: { resourceType: 'Group' },
		});
		assert.equal(created.status, 201);
		const group = await jsonOf(created);
		assert.equal(created.headers.get('location'), `${service.url}/scim/v2/Groups/${group.id}`);
		assert.deepEqual(
			{ displayName: group.displayName, externalId: group.externalId, members: group.members },
			{
				displayName: 'Engineering',
				externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
				members: [],
			},
		);

		const found = await jsonOf(
			await directory.call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Engineering"')}`),
		);
		assert.equal(found.totalResults, 1);
		assert.equal(found.Resources[0].id, group.id);
		assert.equal(found.Resources[0].members, undefined, 'excludedAttributes=members');
		const none = await jsonOf(await directory.call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Nobody"')}`));
		assert.equal(none.totalResults, 0);
		// RFC 7644 §3.4.3: the same query as a POST to the resource type's .search.
		const searched = await directory.call('POST', '/Groups/.search', {
			schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
			filter: 'displayName eq "Engineering"',
			attributes: ['displayName'],
		});
		assert.equal(searched.status, 200, await searched.clone().text());
		const page = await jsonOf(searched);
		assert.deepEqual(
			[page.totalResults, page.Resources[0].id, page.Resources[0].displayName, page.Resources[0].members],
			[1, group.id, 'Engineering', undefined],
		);
		// At the root, a search covers both resource types: each filter finds what has its attribute.
		const atRoot = async (filter: string, startIndex?: number) => {
			const answer = await directory.call('POST', '/.search', {
				schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
				filter,
				startIndex,
				count: 1,
			});
			assert.equal(answer.status, 200, await answer.clone().text());
			const found = await jsonOf(answer);
			return [
				found.totalResults,
				...found.Resources.map(
					(resource: { meta: { resourceType: string }; id: string }) => resource.meta.resourceType + ' ' + resource.id,
				),
			];
		};
		assert.deepEqual(await atRoot('displayName eq "Engineering"'), [1, `Group ${group.id}`]);
		assert.deepEqual(await atRoot('userName eq "ann@acme.test"'), [1, `User ${people.ann}`]);
		// Users first (by userName: cy is the last), then Groups, paged across both.
		const users = (await jsonOf(await directory.call('GET', '/Users'))).totalResults as number;
		assert.deepEqual(await atRoot('meta.resourceType pr', users), [users + 1, `User ${people.cy}`]);
		assert.deepEqual(await atRoot('meta.resourceType pr', users + 1), [users + 1, `Group ${group.id}`]);
		const unparsable = await directory.call('POST', '/.search', {
			schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
			filter: 'displayName eq',
		});
		assert.deepEqual([unparsable.status, (await jsonOf(unparsable)).scimType], [400, 'invalidFilter']);

		const add = await directory.call('PATCH', `/Groups/${group.id}`, {
			schemas: [PATCH_OP],
			Operations: [
				{
					name: 'addMember',
					op: 'Add',
					path: 'members',
					value: [
						{ $ref: null, value: people.ann },
						{ $ref: null, value: people.bob },
					],
				},
			],
		});
		assert.equal(add.status, 200, await add.clone().text());
		assert.deepEqual(await members(group.id), ['ann@acme.test', 'bob@acme.test']);
		// Entra ID's membership check (Microsoft Learn, "Get Group by id and member").
		const isMember = async (person: string) => {
			const filter = `id eq "${group.id}" and members[value eq "${person}"]`;
			const found = await jsonOf(await directory.call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(filter)}`));
			return [found.totalResults, found.Resources[0]?.members];
		};
		assert.deepEqual(await isMember(people.ann!), [1, undefined]);
		assert.deepEqual(await isMember(people.cy!), [0, undefined]);
		await directory.call('PATCH', `/Groups/${group.id}`, {
			schemas: [PATCH_OP],
			Operations: [{ name: 'removeMember', op: 'Remove', path: 'members', value: [{ $ref: null, value: people.ann }] }],
		});
		assert.deepEqual(await members(group.id), ['bob@acme.test']);
		const renamed = await directory.call('PATCH', `/Groups/${group.id}`, {
			schemas: [PATCH_OP],
			Operations: [{ op: 'Replace', path: 'displayName', value: 'Platform Engineering' }],
		});
		assert.equal((await jsonOf(renamed)).displayName, 'Platform Engineering');
		assert.equal((await directory.call('DELETE', `/Groups/${group.id}`)).status, 204);
		assert.equal((await directory.call('GET', `/Groups/${group.id}`)).status, 404);
	});

	it('follows Okta: create with members, rename without a path, add, remove by members[value eq], replace all, PUT', async () => {
		const created = await directory.call('POST', '/Groups', {
			schemas: [GROUP_SCHEMA],
			displayName: 'Test SCIMv2',
			members: [{ value: people.ann, display: 'ann@acme.test' }],
		});
		assert.equal(created.status, 201);
		const id = (await jsonOf(created)).id as string;
		assert.deepEqual(await members(id), ['ann@acme.test']);

		await directory.call('PATCH', `/Groups/${id}`, {
			schemas: [PATCH_OP],
			Operations: [{ op: 'replace', value: { id, displayName: 'Research' } }],
		});
		await directory.call('PATCH', `/Groups/${id}`, {
			schemas: [PATCH_OP],
			Operations: [
				{
					op: 'add',
					path: 'members',
					value: [
						{ value: people.bob, display: 'bob@acme.test' },
						{ value: people.cy, display: 'cy@acme.test' },
					],
				},
			],
		});
		assert.deepEqual(await members(id), ['ann@acme.test', 'bob@acme.test', 'cy@acme.test']);
		await directory.call('PATCH', `/Groups/${id}`, {
			schemas: [PATCH_OP],
			Operations: [{ op: 'remove', path: `members[value eq "${people.ann}"]` }],
		});
		assert.deepEqual(await members(id), ['bob@acme.test', 'cy@acme.test']);
		await directory.call('PATCH', `/Groups/${id}`, {
			schemas: [PATCH_OP],
			Operations: [{ op: 'replace', path: 'members', value: [{ value: people.ann }] }],
		});
		assert.deepEqual(await members(id), ['ann@acme.test']);
		const put = await directory.call('PUT', `/Groups/${id}`, {
			schemas: [GROUP_SCHEMA],
			id,
			displayName: 'Research',
			members: [{ value: people.cy }],
		});
		assert.equal(put.status, 200);
		assert.deepEqual(await members(id), ['cy@acme.test']);
		const listed = await jsonOf(
			await directory.call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "research"')}&startIndex=1&count=100`),
		);
		assert.equal(listed.Resources[0]?.displayName, 'Research', 'displayName compares without case');
	});

	it('refuses what it cannot do with the RFC 7644 error, and names the group in the activity list', async () => {
		const id = (await jsonOf(await directory.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ops' }))).id as string;
		const duplicate = await directory.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'OPS' });
		assert.equal(duplicate.status, 409);
		assert.equal((await jsonOf(duplicate)).scimType, 'uniqueness');
		const badPath = await directory.call('PATCH', `/Groups/${id}`, {
			schemas: [PATCH_OP],
			Operations: [{ op: 'add', path: 'owners', value: 'x' }],
		});
		assert.equal(badPath.status, 400);
		assert.equal((await jsonOf(badPath)).scimType, 'invalidPath');
		const noName = await directory.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: ' ' });
		assert.equal(noName.status, 400);
		assert.match((await jsonOf(noName)).detail, /displayName must not be empty/);
		const types = await jsonOf(await directory.call('GET', '/ResourceTypes/Group'));
		assert.equal(types.endpoint, '/Groups');
		const activity = await service.store.audit.listAudit('acme', { limit: 20 });
		assert.ok(activity.some((event) => event.action === 'scim.group_created' && event.detail.group === 'Ops'));
	});
});
