import assert from 'node:assert/strict';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { TEST_DATABASE_URL, freshDatabase } from '../support/postgres';
import { bearer, EventReader, form, jsonOf, startService, type RunningService, type TokenSet } from '../support/service';
import { TestBrowser } from '../support/sso-browser';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';
import { scim, scimToken } from '../support/scim-client';
import type { Store } from '../../src/server/store/store';

/** A database gone away, as `pg` reports it (ECONNREFUSED), for SCIM's token lookup while `outage.now`. */
function withOutage(store: Store, outage: { now: boolean }): Store {
	const identity = new Proxy(store.identity, {
		get(target, property, receiver) {
			const value: unknown = Reflect.get(target, property, receiver);
			if (property === 'findScimOrganization' && typeof value === 'function') {
				return (...args: unknown[]) =>
					outage.now
						? Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))
						: (value as (...a: unknown[]) => unknown).apply(target, args);
			}
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return new Proxy(store, {
		get(target, property, receiver) {
			if (property === 'identity') {
				return identity;
			}
			const value: unknown = Reflect.get(target, property, receiver);
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}

const SCIM_JSON = 'application/scim+json';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** VS Code's sign-in, approved in the browser through the identity provider: the member's real token. */
async function ssoDeviceSignIn(service: RunningService, person: string): Promise<TokenSet> {
	const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
	const browser = new TestBrowser();
	const signedIn = await browser.signInWithSso(service.url, person, { purpose: 'device', userCode: started.user_code });
	assert.equal(signedIn.status, 200, signedIn.text);
	const approved = await browser.submit(`${service.url}/device?user_code=${started.user_code}`, '/device', {
		user_code: started.user_code,
		action: 'approve',
	});
	assert.equal(approved.response.status, 200);
	const tokens = await form(`${service.url}/oauth/token`, {
		grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
		device_code: started.device_code,
		client_id: 'vscode',
	});
	assert.equal(tokens.status, 200);
	return (await jsonOf(tokens)) as TokenSet;
}

/**
 * SCIM 2.0 provisioning (RFC 7644) as Entra ID and Okta use it: people created, found, deactivated
 * and deleted by the directory; a leaver loses every token and open stream at once.
 */
describe('SCIM 2.0 provisioning', function () {
	this.timeout(30_000);
	let idp: TestIdentityProvider;
	let service: RunningService;
	let admin: TestBrowser;
	let token: string;
	let secondPort: number;
	const outage = { now: false };

	beforeEach(async () => {
		const port = await freePort();
		secondPort = await freePort();
		idp = await startIdentityProvider([port, secondPort].map((each) => `http://127.0.0.1:${each}/console/sso/callback`));
		outage.now = false;
		service = await startService({ port, wrapStore: (store) => withOutage(store, outage) });
		admin = await adminConsole(service);
		// No membership rules: only people the directory (or an admin) added may sign in.
		assert.equal(
			(await saveSsoSettings(admin, service, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }))).status,
			200,
		);
		token = await scimToken(admin, service);
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
	});

	it("answers 503 with Retry-After in SCIM's error shape while the database is out of reach, so the directory retries", async () => {
		outage.now = true;
		const answer = await fetch(`${service.url}/scim/v2/Users`, { headers: bearer(token) });
		assert.equal(answer.status, 503);
		assert.equal(answer.headers.get('retry-after'), '5');
		assert.deepEqual(await jsonOf(answer), {
			schemas: [ERROR_SCHEMA],
			status: '503',
			detail: 'the service cannot reach its database right now; try again shortly',
		});
		outage.now = false;
		assert.equal((await fetch(`${service.url}/scim/v2/Users`, { headers: bearer(token) })).status, 200);
	});

	it('creates a person the identity provider then signs in, and refuses them before', async () => {
		const before = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
		assert.equal(before.status, 403);
		assert.match(before.text, /bob@acme\.test has no account in this organization/);

		const created = await scim(service, token).create('Bob@Acme.test', { externalId: 'entra-object-1' });
		assert.equal(created.status, 201);
		assert.match(created.headers.get('content-type') ?? '', /^application\/scim\+json/);
		const user = await jsonOf(created);
		assert.equal(user.userName, 'bob@acme.test');
		assert.equal(user.active, true);
		assert.equal(user.externalId, 'entra-object-1');
		assert.equal(created.headers.get('location'), `${service.url}/scim/v2/Users/${user.id}`);
		assert.equal(user.meta.location, created.headers.get('location'));

		const after = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
		assert.equal(after.status, 200, after.text);
		const again = await scim(service, token).create('bob@acme.test');
		assert.equal(again.status, 409);
		assert.deepEqual(await jsonOf(again), {
			schemas: [ERROR_SCHEMA],
			status: '409',
			scimType: 'uniqueness',
			detail: 'a User with userName bob@acme.test already exists',
		});
	});

	it('finds people by userName eq, pages, and answers a bad filter per RFC 7644 §3.12', async () => {
		const client = scim(service, token);
		for (const name of ['a', 'b', 'c']) {
			assert.equal((await client.create(`${name}@acme.test`)).status, 201);
		}
		const found = await jsonOf(await client.call('GET', `/Users?filter=${encodeURIComponent('userName eq "B@acme.test"')}`));
		assert.deepEqual(found.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
		assert.equal(found.totalResults, 1);
		assert.equal(found.Resources[0].userName, 'b@acme.test');
		const none = await jsonOf(await client.call('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@acme.test"')}`));
		assert.deepEqual([none.totalResults, none.Resources], [0, []]);
		const page = await jsonOf(await client.call('GET', '/Users?startIndex=2&count=2'));
		assert.equal(page.totalResults, 4, 'three provisioned and the bootstrap admin');
		assert.deepEqual([page.startIndex, page.itemsPerPage], [2, 2]);
		const active = await jsonOf(await client.call('GET', `/Users?filter=${encodeURIComponent('active eq true and userName sw "c"')}`));
		assert.deepEqual(
			active.Resources.map((user: { userName: string }) => user.userName),
			['c@acme.test'],
		);

		const bad = await client.call('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
		assert.equal(bad.status, 400);
		const body = await jsonOf(bad);
		assert.deepEqual([body.schemas, body.status, body.scimType], [[ERROR_SCHEMA], '400', 'invalidFilter']);
		const missing = await client.call('GET', '/Users/no-such-id');
		assert.equal(missing.status, 404);
		assert.deepEqual(await jsonOf(missing), { schemas: [ERROR_SCHEMA], status: '404', detail: 'no User no-such-id' });
		const notJson = await fetch(`${service.url}/scim/v2/Users`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': SCIM_JSON }),
			body: '{nope',
		});
		const notJsonAnswer = await jsonOf(notJson);
		assert.equal(notJsonAnswer.scimType, 'invalidSyntax');
		assert.match(notJsonAnswer.detail, /^the body is not valid JSON: Expected property name or '}' in JSON at position 1/);
		const poisoned = await fetch(`${service.url}/scim/v2/Users`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': SCIM_JSON }),
			body: '{"userName": "x@acme.example", "__proto__": {"active": false}}',
		});
		assert.deepEqual([poisoned.status, (await jsonOf(poisoned)).scimType], [400, 'invalidSyntax'], 'a __proto__ key is refused');
		const noUserName = await client.call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
		assert.deepEqual([noUserName.status, (await jsonOf(noUserName)).scimType], [400, 'invalidValue']);
	});

	it('deactivating a person (PATCH active false) ends their open stream and every token at once; reactivating lets them back', async () => {
		const client = scim(service, token);
		const user = await jsonOf(await client.create('bob@acme.test'));
		const member = await ssoDeviceSignIn(service, 'bob@acme.test');
		const stream = new EventReader(await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(member.access_token) }));
		assert.equal((await stream.next())?.event, 'policy');

		// Entra ID's form: a path and the value as the string "False".
		const patched = await client.patch(user.id, [{ op: 'Replace', path: 'active', value: 'False' }]);
		assert.equal(patched.status, 200);
		assert.equal((await jsonOf(patched)).active, false);
		assert.equal((await stream.next())?.event, 'revoked');
		assert.equal(await stream.next(), undefined, 'the stream ended');
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
		const adminToken = (await service.signIn('admin@acme.example')).access_token;
		const listed = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(adminToken) }));
		assert.equal(
			listed.members.find((entry: { email: string }) => entry.email === 'bob@acme.test')?.sync,
			'deactivated',
			'admins see who the directory deactivated',
		);
		const refreshed = await fetch(`${service.url}/oauth/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: member.refresh_token, client_id: 'vscode' }),
		});
		assert.equal(refreshed.status, 400);
		const refused = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
		assert.equal(refused.status, 403);
		assert.match(refused.text, /deactivated by its directory/);

		// Okta's form: no path, the attributes in the value.
		const back = await client.patch(user.id, [{ op: 'replace', value: { active: true } }]);
		assert.equal((await jsonOf(back)).active, true);
		const again = await ssoDeviceSignIn(service, 'bob@acme.test');
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(again.access_token) })).status, 200);
		const actions = (await service.store.audit.listAudit('acme', { limit: 50 })).map((event) => event.action);
		assert.ok(
			actions.includes('scim.user_deactivated') && actions.includes('scim.user_reactivated') && actions.includes('scim.user_created'),
		);
	});

	it("takes Entra ID's other PATCH forms: renaming userName, adding externalId, a filtered emails path", async () => {
		const client = scim(service, token);
		const user = await jsonOf(await client.create('old@acme.test'));
		const patched = await client.patch(user.id, [
			{ op: 'Replace', path: 'userName', value: 'New@acme.test' },
			{ op: 'Add', path: 'externalId', value: 'entra-7' },
			{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@acme.test' },
		]);
		assert.equal(patched.status, 200, await patched.clone().text());
		const body = await jsonOf(patched);
		assert.deepEqual([body.userName, body.externalId, body.emails[0].value], ['new@acme.test', 'entra-7', 'new@acme.test']);
		assert.equal(await service.store.findUserByEmail('acme', 'old@acme.test'), undefined);
		await client.create('taken@acme.test');
		const clash = await client.patch(user.id, [{ op: 'replace', path: 'userName', value: 'taken@acme.test' }]);
		assert.deepEqual([clash.status, (await jsonOf(clash)).scimType], [409, 'uniqueness']);
		const badOp = await client.patch(user.id, [{ op: 'remove' }]);
		assert.equal(badOp.status, 400);
		assert.equal((await jsonOf(badOp)).schemas[0], ERROR_SCHEMA);
		const notPatch = await client.call('PATCH', `/Users/${user.id}`, { Operations: [] });
		assert.deepEqual([notPatch.status, (await jsonOf(notPatch)).scimType], [400, 'invalidSyntax']);
	});

	it('deleting a person revokes them and answers 404 afterwards; PUT replaces what is kept', async () => {
		const client = scim(service, token);
		const user = await jsonOf(await client.create('dave@acme.test'));
		const member = await ssoDeviceSignIn(service, 'dave@acme.test');
		const replaced = await client.call('PUT', `/Users/${user.id}`, {
			schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
			userName: 'dave@acme.test',
			externalId: 'okta-42',
			active: true,
		});
		assert.equal((await jsonOf(replaced)).externalId, 'okta-42');
		assert.equal((await client.call('DELETE', `/Users/${user.id}`)).status, 204);
		assert.equal((await client.call('GET', `/Users/${user.id}`)).status, 404);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
		const bad = await client.patch(user.id, [{ op: 'replace', path: 'active', value: false }]);
		assert.equal(bad.status, 404);
		// The last active admin cannot be deactivated or deleted by the directory. (The bootstrap admin
		// is the operator's break-glass account, which the directory may not change at all: see below.)
		const second = await service.addUser('second@acme.example', 'admin');
		const third = await service.addUser('third@acme.example', 'admin');
		const secondToken = (await service.signIn(second.email)).access_token;
		const bootstrap = (await service.store.findUserByEmail('acme', 'admin@acme.example'))!;
		const removed = await fetch(`${service.url}/api/v1/admin/members/${bootstrap.id}`, { method: 'DELETE', headers: bearer(secondToken) });
		assert.equal(removed.status, 204, await removed.clone().text());
		// A second admin the directory deactivated does not count: the last one who can sign in stays.
		assert.equal((await client.patch(third.id, [{ op: 'replace', path: 'active', value: false }])).status, 200);
		const lastAdmin = await client.patch(second.id, [{ op: 'replace', path: 'active', value: false }]);
		assert.deepEqual(
			[lastAdmin.status, (await jsonOf(lastAdmin)).detail],
			[409, 'the last active admin of the organization cannot be deactivated'],
		);
		assert.equal((await client.call('DELETE', `/Users/${second.id}`)).status, 409, 'nor deleted');
	});

	it('the SCIM token opens only SCIM, no other token opens SCIM, and an old token stops when replaced', async () => {
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token) })).status, 401);
		assert.equal((await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(token) })).status, 401);
		const adminTokens = await service.signIn('admin@acme.example');
		const withAdmin = await fetch(`${service.url}/scim/v2/Users`, { headers: bearer(adminTokens.access_token) });
		assert.equal(withAdmin.status, 401);
		assert.deepEqual(
			[(await jsonOf(withAdmin)).schemas, withAdmin.headers.get('www-authenticate')],
			[[ERROR_SCHEMA], 'Bearer realm="scim"'],
		);
		assert.equal((await fetch(`${service.url}/scim/v2/Users`)).status, 401);
		const replacement = await scimToken(admin, service);
		assert.equal((await fetch(`${service.url}/scim/v2/Users`, { headers: bearer(token) })).status, 401, 'the old token stopped');
		assert.equal((await fetch(`${service.url}/scim/v2/Users`, { headers: bearer(replacement) })).status, 200);
		const config = await jsonOf(await fetch(`${service.url}/scim/v2/ServiceProviderConfig`, { headers: bearer(replacement) }));
		assert.equal(config.patch.supported, true);
		assert.equal((await fetch(`${service.url}/scim/v2/Groups`, { headers: bearer(replacement) })).status, 200);
		const unknown = await fetch(`${service.url}/scim/v2/Roles`, { headers: bearer(replacement) });
		assert.equal(unknown.status, 404);
		assert.deepEqual((await jsonOf(unknown)).schemas, [ERROR_SCHEMA], 'an unsupported resource answers as SCIM');
		assert.equal((await fetch(`${service.url}/scim/v2/Groups`)).status, 401, 'and only to the SCIM token');
	});

	(TEST_DATABASE_URL ? it : it.skip)('a deactivation on one instance ends the stream held by another (PostgreSQL)', async () => {
		const database = await freshDatabase();
		const [first, second] = await Promise.all([
			startService({ databaseUrl: database.url }),
			startService({ databaseUrl: database.url, port: secondPort }),
		]);
		try {
			const firstAdmin = await adminConsole(first);
			assert.equal(
				(await saveSsoSettings(firstAdmin, first, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }))).status,
				200,
			);
			const sharedToken = await scimToken(firstAdmin, first);
			const user = await jsonOf(await scim(first, sharedToken).create('bob@acme.test'));
			const member = await ssoDeviceSignIn(second, 'bob@acme.test');
			const stream = new EventReader(await fetch(`${second.url}/api/v1/policy/events`, { headers: bearer(member.access_token) }));
			assert.equal((await stream.next())?.event, 'policy');
			assert.equal((await scim(first, sharedToken).patch(user.id, [{ op: 'replace', path: 'active', value: false }])).status, 200);
			assert.equal((await stream.next())?.event, 'revoked', 'the other instance ended the stream');
			assert.equal((await fetch(`${second.url}/api/v1/policy`, { headers: bearer(member.access_token) })).status, 401);
		} finally {
			await Promise.all([first.close(), second.close()]);
			await database.drop();
		}
	});
});
