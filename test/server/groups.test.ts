import assert from 'node:assert/strict';
import { syncClaimedGroups } from '../../src/server/groups/claimed-groups';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { ADMIN, bearer, startService, type RunningService } from '../support/service';
import { TestBrowser } from '../support/sso-browser';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';

describe('groups: made by admins, named by sign-in claims', function () {
	this.timeout(30_000);
	let service: RunningService;
	let idp: TestIdentityProvider;
	let admin: string;

	beforeEach(async () => {
		const port = await freePort();
		idp = await startIdentityProvider([`http://127.0.0.1:${port}/console/sso/callback`]);
		service = await startService({ port });
		admin = (await service.signIn(ADMIN.email)).access_token;
		for (const email of ['ann@acme.example', 'bob@acme.example']) {
			await service.addUser(email, 'member');
		}
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
	});

	const api = async (method: string, path: string, body?: unknown, token = admin) => {
		const response = await fetch(`${service.url}/api/v1/admin${path}`, {
			method,
			headers: bearer(token, body === undefined ? {} : { 'content-type': 'application/json' }),
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : undefined };
	};

	it('lets admins make, rename, fill, empty and delete groups by e-mail, naming a wrong address; members cannot', async () => {
		const made = await api('POST', '/groups', { displayName: 'Research', members: ['ann@acme.example'] });
		assert.equal(made.status, 201, JSON.stringify(made.body));
		assert.deepEqual(
			{ ...made.body, id: undefined },
			{ id: undefined, displayName: 'Research', source: 'console', editable: true, members: ['ann@acme.example'] },
		);
		const wrong = await api('POST', '/groups', { displayName: 'Ops', members: ['ann@acme.example', 'nobody@acme.example'] });
		assert.equal(wrong.status, 400);
		assert.deepEqual(wrong.body.fieldErrors, [{ path: 'members[1]', message: 'nobody@acme.example is not a member of this organization' }]);
		assert.equal((await api('POST', '/groups', { displayName: 'research' })).status, 409, 'names are unique whatever their case');
		const changed = await api('PATCH', `/groups/${made.body.id}`, {
			displayName: 'AI Research',
			add: ['BOB@acme.example'],
			remove: ['ann@acme.example'],
		});
		assert.deepEqual([changed.body.displayName, changed.body.members], ['AI Research', ['bob@acme.example']]);
		const listed = await api('GET', '/groups');
		assert.deepEqual(
			listed.body.groups.map((group: { displayName: string }) => group.displayName),
			['AI Research'],
		);
		const member = (await service.signIn('ann@acme.example')).access_token;
		assert.equal((await api('GET', '/groups', undefined, member)).status, 403);
		assert.equal((await api('DELETE', `/groups/${made.body.id}`)).status, 204);
		assert.equal((await api('DELETE', `/groups/${made.body.id}`)).status, 404);
		const activity = await service.store.audit.listAudit('acme', { limit: 10 });
		assert.deepEqual(
			activity.map((event) => event.action).filter((action) => action.startsWith('group.')),
			['group.deleted', 'group.changed', 'group.created'],
		);
	});

	it('will not rename or delete a group the policy depends on (an overlay, a rollout’s canary), saying why; names an overlay whose group is gone', async () => {
		const provider = { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', headers: {}, apiKeyRequired: true };
		const contractors = await api('POST', '/groups', { displayName: 'Contractors', members: ['ann@acme.example'] });
		const pilots = await api('POST', '/groups', { displayName: 'Pilots', members: ['bob@acme.example'] });
		const saved = await fetch(`${service.url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify({
				enabled: true,
				provider: { ...provider, models: { allowed: ['gpt-4o', 'gpt-4o-mini'] } },
				overlays: [
					{ group: 'contractors', models: { allowed: ['gpt-4o-mini'] } },
					{ group: 'Ghosts', models: { allowed: ['gpt-4o'] } },
				],
			}),
		});
		assert.equal(saved.status, 200, await saved.clone().text());

		const renamed = await api('PATCH', `/groups/${contractors.body.id}`, { displayName: 'External contractors' });
		assert.equal(renamed.status, 409);
		assert.equal(
			renamed.body.message,
			"displayName: Contractors cannot be renamed while the policy's group overlays name it: its members would lose it. Make a group with the new name and these members, point the policy at it, then delete this one",
		);
		const deleted = await api('DELETE', `/groups/${contractors.body.id}`);
		assert.deepEqual(
			[deleted.status, deleted.body.message],
			[409, "Contractors cannot be deleted while the policy's group overlays name it: its members would lose it. Change the policy first"],
		);
		assert.equal((await api('PATCH', `/groups/${contractors.body.id}`, { add: ['bob@acme.example'] })).status, 200, 'members still change');
		const recased = await api('PATCH', `/groups/${contractors.body.id}`, { displayName: 'CONTRACTORS' });
		assert.equal(recased.status, 200, 'another case is the same name to the policy');

		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots&keepOverlays=true`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify({ enabled: true, provider: { ...provider, models: { allowed: ['gpt-4o', 'gpt-4o-mini', 'o3'] } } }),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		const pilotsRenamed = await api('PATCH', `/groups/${pilots.body.id}`, { displayName: 'Pilot team' });
		assert.equal(pilotsRenamed.status, 409);
		assert.match(pilotsRenamed.body.message, /^displayName: Pilots cannot be renamed while it is the canary of revision 3's rollout/);
		assert.equal((await api('POST', '/rollout/promote')).status, 200);
		assert.equal(
			(await api('PATCH', `/groups/${pilots.body.id}`, { displayName: 'Pilot team' })).status,
			200,
			'once the rollout has ended',
		);

		const page = await (await (await adminConsole(service)).request(`${service.url}/console/groups`)).text();
		assert.match(page, /No group is named Ghosts now: this overlay applies to nobody/);
		assert.doesNotMatch(page, /No group is named contractors/i, 'an overlay names its group in any case');
	});

	it("makes the groups a sign-in's claim names, keeps the member in them while named, and leaves the directory's to the directory", async () => {
		const browser = await adminConsole(service);
		assert.equal((await saveSsoSettings(browser, service, idp.settings())).status, 200);
		const signedIn = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
		assert.equal(signedIn.status, 200, signedIn.text);
		const groups = (await api('GET', '/groups')).body.groups as {
			displayName: string;
			source: string;
			editable: boolean;
			members: string[];
		}[];
		assert.deepEqual(groups, [{ ...groups[0], displayName: 'engineering', source: 'sso', editable: false, members: ['bob@acme.test'] }]);
		const refused = await api('PATCH', `/groups/${(groups[0] as unknown as { id: string }).id}`, { add: ['ann@acme.example'] });
		assert.equal(refused.status, 409);
		assert.match(refused.body.message, /engineering is managed by your identity provider's group claim: change it there/);

		// The claim changes (at the next sign-in): out of the claim's group, into the named console group.
		const made = await api('POST', '/groups', { displayName: 'Research', members: [] });
		const bob = (await service.store.findUserByEmail('acme', 'bob@acme.test'))!;
		assert.equal(await syncClaimedGroups(service.store.groups, 'acme', bob.id, ['Research', 'Research', ' '], Date.now()), true);
		assert.deepEqual(
			(await service.store.groups.groupsOf(bob.id)).map((group) => group.displayName),
			['Research'],
		);
		assert.equal(
			await syncClaimedGroups(service.store.groups, 'acme', bob.id, [], Date.now()),
			false,
			'a console group is not left because of a claim',
		);
		assert.deepEqual((await api('GET', '/groups')).body.groups.find((group: { id: string }) => group.id === made.body.id).members, [
			'bob@acme.test',
		]);
	});
});
