import assert from 'node:assert/strict';
import * as z from 'zod';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { bearer, jsonOf, startService, type RunningService } from '../support/service';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';

const SCIM_JSON = 'application/scim+json';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7643 §7: how a Schema resource describes each attribute. */
const AttributeShape: z.ZodType = z.lazy(() =>
	z.looseObject({
		name: z.string().regex(/^[A-Za-z$][\w$-]*$/),
		type: z.enum(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex', 'binary']),
		multiValued: z.boolean(),
		description: z.string().min(1),
		required: z.boolean(),
		caseExact: z.boolean().optional(),
		mutability: z.enum(['readOnly', 'readWrite', 'immutable', 'writeOnly']),
		returned: z.enum(['always', 'never', 'default', 'request']),
		uniqueness: z.enum(['none', 'server', 'global']),
		subAttributes: z.array(AttributeShape).optional(),
		referenceTypes: z.array(z.string()).optional(),
		canonicalValues: z.array(z.string()).optional(),
	}),
);
const Meta = z.looseObject({ resourceType: z.string(), location: z.url() });
const SchemaShape = z.looseObject({
	schemas: z.tuple([z.literal('urn:ietf:params:scim:schemas:core:2.0:Schema')]),
	id: z.string().startsWith('urn:'),
	name: z.string(),
	description: z.string(),
	attributes: z.array(AttributeShape).min(1),
	meta: Meta,
});
/** RFC 7643 §6. */
const ResourceTypeShape = z.looseObject({
	schemas: z.tuple([z.literal('urn:ietf:params:scim:schemas:core:2.0:ResourceType')]),
	id: z.string(),
	name: z.string(),
	endpoint: z.string().startsWith('/'),
	schema: z.string().startsWith('urn:'),
	schemaExtensions: z.array(z.strictObject({ schema: z.string().startsWith('urn:'), required: z.boolean() })).optional(),
	meta: Meta,
});
/** RFC 7643 §5. */
const ServiceProviderConfigShape = z.looseObject({
	schemas: z.tuple([z.literal('urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig')]),
	patch: z.strictObject({ supported: z.boolean() }),
	bulk: z.strictObject({ supported: z.boolean(), maxOperations: z.int(), maxPayloadSize: z.int() }),
	filter: z.strictObject({ supported: z.boolean(), maxResults: z.int() }),
	changePassword: z.strictObject({ supported: z.boolean() }),
	sort: z.strictObject({ supported: z.boolean() }),
	etag: z.strictObject({ supported: z.boolean() }),
	authenticationSchemes: z.array(z.looseObject({ type: z.string(), name: z.string(), description: z.string() })).min(1),
});
const ListOf = <T extends z.ZodType>(item: T) =>
	z.looseObject({
		schemas: z.tuple([z.literal('urn:ietf:params:scim:api:messages:2.0:ListResponse')]),
		totalResults: z.int(),
		Resources: z.array(item),
	});

/**
 * SCIM against what an outside review and a conformance tester probe: hostile PATCH paths that
 * would write into the process's shared prototype, the operator's break-glass admins, input rules,
 * discovery, and round trips of what Entra ID and Okta send. On SQLite, and PostgreSQL in server-pg.
 */
describe('SCIM security and conformance', function () {
	this.timeout(30_000);
	let idp: TestIdentityProvider;
	let service: RunningService;
	let token: string;

	beforeEach(async () => {
		idp = await startIdentityProvider([]);
		service = await startService();
		const admin = await adminConsole(service);
		assert.equal((await saveSsoSettings(admin, service, idp.settings())).status, 200);
		const page = await admin.submit(`${service.url}/console/sso`, '/console/sso/scim-token', {});
		token = /id="scim-token" readonly value="([^"]+)"/.exec(await page.response.text())![1]!;
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
	});

	/** A SCIM request; a string body goes as it is (so a `__proto__` key reaches the service as JSON has it). */
	const call = (method: string, path: string, body?: unknown, type = SCIM_JSON) =>
		fetch(`${service.url}/scim/v2${path}`, {
			method,
			headers: bearer(token, body === undefined ? {} : { 'content-type': type }),
			...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
		});
	const patch = (id: string, operations: unknown[]) => call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: operations });
	const create = async (userName: string, extra: Record<string, unknown> = {}) => {
		const created = await call('POST', '/Users', { schemas: [USER], userName, ...extra });
		assert.equal(created.status, 201, await created.clone().text());
		return jsonOf(created);
	};

	it('refuses a battery of hostile PATCH paths and attribute names, and the process stays clean', async () => {
		const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
		const bob = await create('bob@acme.test');
		const paths = [
			'__proto__.polluted',
			'__proto__',
			'constructor.prototype.polluted',
			'constructor.prototype.breakGlass',
			'constructor',
			'prototype.polluted',
			'name.__proto__',
			'name.constructor',
			'emails[type eq "work"].__proto__',
			`${USER}:__proto__.polluted`,
			`${ENTERPRISE}:constructor.prototype.polluted`,
			'breakGlass',
		];
		for (const path of paths) {
			for (const op of ['add', 'replace', 'Add']) {
				const answer = await patch(bob.id, [{ op, path, value: op === 'add' ? { polluted: 'yes' } : 'yes' }]);
				assert.equal(answer.status, 400, `${op} ${path}`);
				const body = await jsonOf(answer);
				assert.deepEqual([body.schemas, body.scimType], [[ERROR], 'invalidPath'], path);
			}
		}
		const hostileBodies = [
			`{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"__proto__":{"polluted":"yes","breakGlass":true}}}]}`,
			`{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","value":{"constructor":{"prototype":{"polluted":"yes"}}}}]}`,
		];
		for (const body of hostileBodies) {
			assert.equal((await call('PATCH', `/Users/${bob.id}`, body)).status, 400, body);
		}
		for (const body of [
			`{"schemas":["${USER}"],"userName":"mallory@acme.test","__proto__":{"polluted":"yes","breakGlass":true}}`,
			`{"schemas":["${USER}"],"userName":"mallory@acme.test","constructor":{"prototype":{"polluted":"yes"}}}`,
		]) {
			assert.equal((await call('POST', '/Users', body)).status, 400, body);
			assert.equal((await call('PUT', `/Users/${bob.id}`, body.replace('mallory', 'bob'))).status, 400, body);
		}

		// The same process: nothing reached the shared prototype…
		assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
		const fresh: Record<string, unknown> = {};
		assert.equal(fresh['polluted'], undefined);
		assert.equal(fresh['breakGlass'], undefined);
		assert.deepEqual(Object.keys(Object.prototype), []);
		// …every route still answers…
		for (const path of ['/console/login', '/device', '/healthz', '/readyz']) {
			assert.equal((await fetch(`${service.url}${path}`)).status, 200, path);
		}
		assert.equal((await call('GET', '/Users')).status, 200);
		// …and a new account is an ordinary one, with nothing of the hostile requests on Bob.
		const carol = await create('carol@acme.test');
		assert.equal((await service.store.getUser(carol.id))?.breakGlass, false);
		const bobAfter = await jsonOf(await call('GET', `/Users/${bob.id}`));
		assert.deepEqual(Object.keys(bobAfter).sort(), ['active', 'emails', 'id', 'meta', 'schemas', 'userName']);
	});

	it("reads the operator's break-glass admin, and refuses to rename, deactivate, replace or delete it", async () => {
		const found = await jsonOf(await call('GET', `/Users?filter=${encodeURIComponent('userName eq "admin@acme.example"')}`));
		const admin = found.Resources[0];
		assert.equal(admin.userName, 'admin@acme.example');
		const attempts = [
			patch(admin.id, [{ op: 'replace', path: 'userName', value: 'attacker@acme.test' }]),
			patch(admin.id, [{ op: 'replace', path: 'active', value: false }]),
			call('PUT', `/Users/${admin.id}`, { schemas: [USER], userName: 'attacker@acme.test', active: true }),
			call('DELETE', `/Users/${admin.id}`),
		];
		for (const answer of await Promise.all(attempts)) {
			assert.equal(answer.status, 403);
			const body = await jsonOf(answer);
			assert.deepEqual(body.schemas, [ERROR]);
			assert.match(body.detail, /break-glass admin the service's operator made/);
		}
		const after = await service.store.getUser(admin.id);
		assert.deepEqual([after?.email, after?.deactivatedAt, after?.role], ['admin@acme.example', null, 'admin']);
	});

	it('refuses the userNames the admin API refuses, and bodies that are not SCIM JSON', async () => {
		const adminToken = (await service.signIn('admin@acme.example')).access_token;
		const hostile = [
			'<b>x</b>@acme.test',
			'nul\u0000@acme.test',
			'\u001b[31mred@acme.test',
			'rtl\u202e@acme.test',
			`${'a'.repeat(100_000)}@acme.test`,
		];
		for (const userName of hostile) {
			const answer = await call('POST', '/Users', { schemas: [USER], userName });
			assert.equal(answer.status, 400, JSON.stringify(userName.slice(0, 40)));
			assert.equal((await jsonOf(answer)).scimType, 'invalidValue');
			const viaAdmin = await fetch(`${service.url}/api/v1/admin/members`, {
				method: 'POST',
				headers: bearer(adminToken, { 'content-type': 'application/json' }),
				body: JSON.stringify({ email: userName }),
			});
			assert.equal(viaAdmin.status, 400, 'the admin API refuses it too');
		}
		const body = JSON.stringify({ schemas: [USER], userName: 'plain@acme.test' });
		for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
			const answer = await call('POST', '/Users', body, type);
			assert.equal(answer.status, 415, type);
			assert.deepEqual((await jsonOf(answer)).schemas, [ERROR]);
		}
		const listed = await jsonOf(await call('GET', '/Users'));
		assert.equal(listed.totalResults, 1, 'nothing was created: only the bootstrap admin');
		assert.equal((await call('POST', '/Users', body, 'application/json')).status, 201);
	});

	it("publishes discovery documents in RFC 7643's shapes, matching what the service accepts", async () => {
		const config = ServiceProviderConfigShape.parse(await jsonOf(await call('GET', '/ServiceProviderConfig')));
		assert.deepEqual([config.patch.supported, config.filter.supported, config.bulk.supported], [true, true, false]);
		const types = ListOf(ResourceTypeShape).parse(await jsonOf(await call('GET', '/ResourceTypes')));
		assert.deepEqual(
			types.Resources.map((type) => [type['id'], type['endpoint'], type['schema']]),
			[
				['User', '/Users', USER],
				['Group', '/Groups', 'urn:ietf:params:scim:schemas:core:2.0:Group'],
			],
		);
		ResourceTypeShape.parse(await jsonOf(await call('GET', '/ResourceTypes/User')));
		const schemas = ListOf(SchemaShape).parse(await jsonOf(await call('GET', '/Schemas')));
		assert.deepEqual(
			schemas.Resources.map((schema) => schema['id']),
			[USER, ENTERPRISE, 'urn:ietf:params:scim:schemas:core:2.0:Group'],
		);
		const user = SchemaShape.parse(await jsonOf(await call('GET', `/Schemas/${USER}`)));
		const userName = (user.attributes as { name: string; required: boolean; uniqueness: string }[]).find((a) => a.name === 'userName');
		assert.deepEqual([userName?.required, userName?.uniqueness], [true, 'server']);
		for (const path of ['/Schemas/urn:nope', '/ResourceTypes/Role', '/Roles']) {
			const missing = await call('GET', path);
			assert.equal(missing.status, 404, path);
			assert.deepEqual((await jsonOf(missing)).schemas, [ERROR]);
		}
		// Every declared attribute is accepted, and an undeclared one is refused, not dropped.
		const declared = (user.attributes as { name: string }[]).map((attribute) => attribute.name);
		assert.ok(['name', 'displayName', 'phoneNumbers', 'emails', 'externalId'].every((name) => declared.includes(name)));
		const refused = await call('POST', '/Users', { schemas: [USER], userName: 'x@acme.test', favouriteColour: 'blue' });
		assert.deepEqual([refused.status, (await jsonOf(refused)).scimType], [400, 'invalidValue']);
	});

	it('round-trips what Entra ID sends: create, read, PATCH forms, remove externalId, filter and /.search', async () => {
		// Entra ID's create request (its SCIM tutorial's shape, with an e-mail userName).
		const created = await create('alex@acme.test', {
			schemas: [USER, ENTERPRISE],
			externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
			active: true,
			emails: [{ primary: true, type: 'work', value: 'alex@acme.test' }],
			meta: { resourceType: 'User' },
			name: { formatted: 'Alex Doe', familyName: 'Doe', givenName: 'Alex' },
			roles: [],
			[ENTERPRISE]: { department: 'Research' },
		});
		const read = await jsonOf(await call('GET', `/Users/${created.id}`));
		assert.deepEqual(read, created);
		assert.deepEqual(read.schemas, [USER, ENTERPRISE]);
		assert.deepEqual(read.name, { formatted: 'Alex Doe', familyName: 'Doe', givenName: 'Alex' });
		assert.deepEqual(read[ENTERPRISE], { department: 'Research' });

		// Entra ID's PATCH forms: filtered emails path, name sub-attribute, enterprise URN paths, manager as an id.
		const patched = await patch(created.id, [
			{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'alex.doe@acme.test' },
			{ op: 'Replace', path: 'name.familyName', value: 'Doe-Smith' },
			{ op: 'Add', path: `${ENTERPRISE}:department`, value: 'Platform' },
			{ op: 'Add', path: `${ENTERPRISE}:manager`, value: '2819c223-7f76-453a-919d-413861904646' },
			{ op: 'Replace', path: 'displayName', value: 'Alex Doe-Smith' },
		]);
		assert.equal(patched.status, 200, await patched.clone().text());
		const after = await jsonOf(await call('GET', `/Users/${created.id}`));
		assert.equal(after.emails[0].value, 'alex.doe@acme.test');
		assert.equal(after.name.familyName, 'Doe-Smith');
		assert.equal(after.displayName, 'Alex Doe-Smith');
		assert.deepEqual(after[ENTERPRISE], { department: 'Platform', manager: { value: '2819c223-7f76-453a-919d-413861904646' } });

		const removed = await patch(created.id, [{ op: 'Remove', path: 'externalId' }]);
		assert.equal(removed.status, 200);
		assert.equal((await jsonOf(await call('GET', `/Users/${created.id}`))).externalId, undefined, 'remove of externalId is kept');
		const unknown = await patch(created.id, [{ op: 'Add', path: 'favouriteColour', value: 'blue' }]);
		assert.deepEqual([unknown.status, (await jsonOf(unknown)).scimType], [400, 'invalidPath']);

		const byName = await jsonOf(
			await call('GET', `/Users?filter=${encodeURIComponent('name.familyName eq "Doe-Smith"')}&attributes=userName`),
		);
		assert.equal(byName.totalResults, 1);
		assert.deepEqual(Object.keys(byName.Resources[0]).sort(), ['id', 'meta', 'schemas', 'userName']);
		for (const path of ['/Users/.search', '/.search']) {
			const searched = await call('POST', path, {
				schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
				filter: `${ENTERPRISE}:department eq "Platform"`,
				excludedAttributes: ['emails'],
			});
			assert.equal(searched.status, 200, await searched.clone().text());
			const page = await jsonOf(searched);
			assert.deepEqual(
				page.Resources.map((user: { userName: string; emails?: unknown }) => [user.userName, user.emails]),
				[['alex@acme.test', undefined]],
			);
		}
		const badSearch = await call('POST', '/.search', { filter: 'userName eq "x"' });
		assert.equal(badSearch.status, 400);
	});

	it('round-trips what Okta sends: create with groups and a password, PUT of the whole resource, deactivate by value', async () => {
		// Okta's create request (its SCIM 2.0 guide's shape): groups are read-only, the password is never kept.
		const created = await create('test.user@acme.test', {
			name: { givenName: 'Test', familyName: 'User' },
			emails: [{ primary: true, value: 'test.user@acme.test', type: 'work' }],
			displayName: 'Test User',
			locale: 'en-US',
			externalId: '00ujl29u0le5T6Aj10h7',
			groups: [],
			password: '1mz050nq',
			active: true,
		});
		assert.equal(created.password, undefined);
		assert.equal(created.groups, undefined);
		assert.equal(created.locale, 'en-US');
		const replaced = await call('PUT', `/Users/${created.id}`, {
			...created,
			displayName: 'Test Q. User',
			externalId: undefined,
			phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
		});
		assert.equal(replaced.status, 200, await replaced.clone().text());
		const read = await jsonOf(await call('GET', `/Users/${created.id}`));
		assert.deepEqual(
			[read.displayName, read.externalId, read.phoneNumbers, read.locale],
			['Test Q. User', undefined, [{ value: '+1 555 0100', type: 'work' }], 'en-US'],
		);
		const off = await patch(created.id, [{ op: 'replace', value: { active: false } }]);
		assert.equal((await jsonOf(off)).active, false);
		assert.equal((await jsonOf(await call('GET', `/Users/${created.id}`))).displayName, 'Test Q. User', 'nothing else changed');
		assert.equal((await call('DELETE', `/Users/${created.id}`)).status, 204);
		assert.equal((await call('GET', `/Users/${created.id}`)).status, 404);
	});
});
