import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { verifySignedPolicy } from '../../src/policy';
import { validSettings } from '../support/policy-fixtures';
import {
	addOrganization,
	ADMIN,
	bearer,
	EventReader,
	putPolicy,
	startService,
	type RunningService,
	type TokenSet,
	jsonOf,
} from '../support/service';

describe('policy API over HTTP', () => {
	let service: RunningService;
	let admin: TokenSet;
	let member: TokenSet;

	beforeEach(async () => {
		service = await startService();
		await service.addUser('dev@acme.example', 'member');
		admin = await service.signIn(ADMIN.email);
		member = await service.signIn('dev@acme.example');
	});
	afterEach(async () => service.close());

	const getPolicy = (token: string, headers: Record<string, string> = {}) =>
		fetch(`${service.url}/api/v1/policy`, { headers: bearer(token, headers) });
	const revisionNow = async () => Number((await getPolicy(member.access_token)).headers.get('etag')!.replace(/"/g, ''));

	it('restores an earlier revision as a new one, header values included, with If-Match; members only read (#14 item 8)', async () => {
		const restore = (revision: number, token: string, ifMatch?: string) =>
			fetch(`${service.url}/api/v1/admin/policy/revisions/${revision}/restore`, {
				method: 'POST',
				headers: bearer(token, ifMatch ? { 'if-match': ifMatch } : {}),
			});
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.azureDeployment, '"2"')).status, 200);

		assert.equal((await restore(2, admin.access_token)).status, 428, 'If-Match is required');
		assert.equal((await restore(2, admin.access_token, '"2"')).status, 412, 'a stale If-Match changes nothing');
		assert.equal((await restore(9, admin.access_token, '"3"')).status, 404);
		assert.equal((await restore(2, member.access_token, '"3"')).status, 403);
		const restored = await restore(2, admin.access_token, '"3"');
		assert.equal(restored.status, 200);
		assert.equal(restored.headers.get('etag'), '"4"');
		const { policy } = verifySignedPolicy(await jsonOf(restored), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.revision, 4);
		assert.equal(policy.updatedBy, ADMIN.email);
		assert.deepEqual(
			policy.provider?.headers,
			{ 'X-Tenant': 'acme' },
			'the saved header value comes back, though the console never saw it',
		);
		assert.equal(policy.provider?.baseUrl, validSettings.plainCompatible.provider.baseUrl);
	});

	it('keeps the saved value of a header sent empty and named in keepHeaderValues as the console saves, naming what it refuses', async () => {
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		const save = (query: string, headers: Record<string, string>, revision: string) =>
			fetch(`${service.url}/api/v1/admin/policy?${query}`, {
				method: 'PUT',
				headers: bearer(admin.access_token, { 'content-type': 'application/json', 'if-match': revision }),
				body: JSON.stringify({ ...validSettings.plainCompatible, provider: { ...validSettings.plainCompatible.provider, headers } }),
			});
		const kept = await save('keepHeaderValues=X-Tenant', { 'X-Tenant': '', 'X-Team': 'blue' }, '"2"');
		assert.equal(kept.status, 200, await kept.clone().text());
		assert.deepEqual((await jsonOf(kept)).policy.provider.headers, { 'X-Tenant': 'acme', 'X-Team': 'blue' });
		const unsaved = await save('keepHeaderValues=X-New', { 'X-Tenant': 'acme', 'X-New': '' }, '"3"');
		assert.equal(unsaved.status, 400);
		assert.deepEqual((await jsonOf(unsaved)).fieldErrors, [
			{ path: 'provider.headers.X-New', message: 'enter a value (this header has no saved value)' },
		]);
		const many = new URLSearchParams(Array.from({ length: 65 }, (_, index): [string, string] => ['keepHeaderValues', `H${index}`]));
		const tooMany = await save(String(many), { 'X-Tenant': 'acme' }, '"3"');
		assert.equal(tooMany.status, 400);
		assert.equal((await jsonOf(tooMany)).fieldErrors[0].path, 'keepHeaderValues');
	});

	it('serves the signed policy with an ETag, 304 on If-None-Match, 401 without a token', async () => {
		const response = await getPolicy(member.access_token);
		assert.equal(response.status, 200);
		assert.equal(response.headers.get('etag'), '"1"');
		const verified = verifySignedPolicy(await jsonOf(response), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(verified.policy.enabled, false);
		assert.equal((await getPolicy(member.access_token, { 'if-none-match': '"1"' })).status, 304);
		assert.equal((await getPolicy(member.access_token, { 'if-none-match': '"0"' })).status, 200);
		const anonymous = await fetch(`${service.url}/api/v1/policy`);
		assert.equal(anonymous.status, 401);
		assert.equal((await jsonOf(anonymous)).error, 'unauthorized');
		assert.equal((await getPolicy('opp_at_forged')).status, 401);
		for (const [method, path] of [
			['GET', '/api/v1/policy/events'],
			['POST', '/api/v1/policy/applied'],
		]) {
			assert.equal((await fetch(`${service.url}${path}`, { method })).status, 401, `anonymous ${method} ${path}`);
			assert.equal(
				(await fetch(`${service.url}${path}`, { method, headers: bearer('opp_at_forged') })).status,
				401,
				`forged ${method} ${path}`,
			);
		}
	});

	it('saves a valid policy as the next revision, signed and stamped with its author', async () => {
		const response = await putPolicy(service.url, admin.access_token, validSettings.azureDeployment, '"1"');
		assert.equal(response.status, 200);
		assert.equal(response.headers.get('etag'), '"2"');
		const { policy } = verifySignedPolicy(await jsonOf(response), { signingKey: admin.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.revision, 2);
		assert.equal(policy.updatedBy, ADMIN.email);
		assert.equal(policy.provider?.headers['X-Tenant'], 'acme');
		assert.equal(await revisionNow(), 2);
	});

	describe('refuses bad writes, storing nothing', () => {
		const cases: [string, () => Promise<Response>, number, string | RegExp][] = [
			['a stale If-Match', () => putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"0"'), 412, 'stale_revision'],
			['a missing If-Match', () => putPolicy(service.url, admin.access_token, validSettings.plainCompatible), 428, 'precondition_required'],
			[
				'a malformed If-Match',
				() => putPolicy(service.url, admin.access_token, validSettings.plainCompatible, 'W/"1"'),
				400,
				'invalid_request',
			],
			['malformed JSON', () => putPolicy(service.url, admin.access_token, '{"enabled": tru', '"1"'), 400, 'invalid_request'],
			[
				'a wrong content type',
				() =>
					fetch(`${service.url}/api/v1/admin/policy`, {
						method: 'PUT',
						headers: bearer(admin.access_token, { 'content-type': 'text/csv', 'if-match': '"1"' }),
						body: 'a,b',
					}),
				415,
				'unsupported_media_type',
			],
			[
				'an oversized body',
				() => putPolicy(service.url, admin.access_token, { enabled: false, adminContact: 'x'.repeat(300_000) }, '"1"'),
				413,
				'payload_too_large',
			],
		];
		for (const [name, request, status, code] of cases) {
			it(`${name} → ${status}`, async () => {
				const response = await request();
				assert.equal(response.status, status);
				const body = await jsonOf(response);
				assert.equal(body.error, code);
				assert.equal(typeof body.message, 'string');
				assert.equal(await revisionNow(), 1);
			});
		}

		it('says which Content-Type to send when a body is not JSON, naming what came (curl -d sends a form)', async () => {
			for (const [type, body] of [
				['application/x-www-form-urlencoded', JSON.stringify(validSettings.plainCompatible)],
				['text/plain', JSON.stringify(validSettings.plainCompatible)],
			] as const) {
				const response = await fetch(`${service.url}/api/v1/admin/policy`, {
					method: 'PUT',
					headers: bearer(admin.access_token, { 'content-type': type, 'if-match': '"1"' }),
					body,
				});
				assert.equal(response.status, 415, type);
				assert.deepEqual(await jsonOf(response), {
					error: 'unsupported_media_type',
					message: `Content-Type: ${type} is not read here; the body must be JSON: send it with Content-Type: application/json`,
				});
			}
			// Where forms are the wire (RFC 6749's token endpoint), the answer says so.
			const token = await fetch(`${service.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
			assert.equal(token.status, 415);
			assert.match((await jsonOf(token)).error_description, /a form \(application\/x-www-form-urlencoded\) or JSON/);
			assert.equal(await revisionNow(), 1);
		});

		it('says where a body stops being JSON, without quoting it back, and refuses a __proto__ key', async () => {
			const secret = 'sk-pasted-by-mistake-0123456789';
			for (const [body, said] of [
				[`{"enabled": tru`, /^the body is not valid JSON: Unexpected end of JSON input$/],
				[
					`{"enabled": true "adminContact": "${secret}"}`,
					/^the body is not valid JSON: Expected ',' or '}' after property value in JSON at position 17/,
				],
				[`{"provider": {"headers": {"api-key": '${secret}'}}}`, /^the body is not valid JSON: Unexpected token '''/],
				['{"__proto__": {"enabled": true}}', /^the body is not valid JSON: Object contains forbidden prototype property$/],
			] as const) {
				const response = await putPolicy(service.url, admin.access_token, body, '"1"');
				assert.equal(response.status, 400, body);
				const answer = await jsonOf(response);
				assert.equal(answer.error, 'invalid_request');
				assert.match(answer.message, said);
				assert.ok(!JSON.stringify(answer).includes(secret), answer.message);
			}
			assert.equal(await revisionNow(), 1);
		});

		it('names the body itself when there is none, or it is not an object', async () => {
			const none = await fetch(`${service.url}/api/v1/admin/policy`, {
				method: 'PUT',
				headers: bearer(admin.access_token, { 'if-match': '"1"' }),
			});
			assert.equal(none.status, 400);
			assert.deepEqual((await jsonOf(none)).fieldErrors, [
				{ path: 'body', message: 'is required: send a JSON document (Content-Type: application/json)' },
			]);
			// A JSON Content-Type with nothing (or only spaces) in it is no body either.
			const blank = await putPolicy(service.url, admin.access_token, '   ', '"1"');
			assert.equal(blank.status, 400);
			assert.deepEqual((await jsonOf(blank)).fieldErrors, [
				{ path: 'body', message: 'is required: send a JSON document (Content-Type: application/json)' },
			]);
			const list = await putPolicy(service.url, admin.access_token, [validSettings.plainCompatible], '"1"');
			assert.equal(list.status, 400);
			assert.deepEqual((await jsonOf(list)).fieldErrors, [{ path: 'body', message: 'must be an object, not a list' }]);
			assert.equal(await revisionNow(), 1);
		});

		const invalid: [string, unknown, string][] = [
			['an unknown field', { ...validSettings.plainCompatible, colour: 'blue' }, 'colour'],
			[
				'CR/LF in a header value',
				{ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example', headers: { 'X-Foo': 'a\r\nb' } } },
				'provider.headers.X-Foo',
			],
			['a non-https base URL', { enabled: true, provider: { id: 'openai-compatible', baseUrl: 'http://example.com' } }, 'provider.baseUrl'],
			[
				'an invalid api-version',
				{ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://a.openai.azure.com', azure: { apiVersion: 'v1' } } },
				'provider.azure.apiVersion',
			],
		];
		for (const [name, body, path] of invalid) {
			it(`${name} → 400 naming ${path}`, async () => {
				const response = await putPolicy(service.url, admin.access_token, body, '"1"');
				assert.equal(response.status, 400);
				const answer = await jsonOf(response);
				assert.equal(answer.error, 'invalid_policy');
				assert.ok(
					answer.fieldErrors.some((error: { path: string }) => error.path === path),
					JSON.stringify(answer),
				);
				assert.equal(await revisionNow(), 1);
			});
		}
	});

	it('refuses the second of two admins editing the same revision, saying who changed it', async () => {
		const other = await service.addUser('second-admin@acme.example', 'admin');
		const secondAdmin = await service.signIn(other.email);
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		const conflict = await putPolicy(service.url, secondAdmin.access_token, validSettings.azureV1, '"1"');
		assert.equal(conflict.status, 412);
		const body = await jsonOf(conflict);
		assert.equal(body.revision, 2);
		assert.equal(body.updatedBy, ADMIN.email);
		assert.match(body.message, /revision 2 by admin@acme\.example/);
	});

	it('keeps members, anonymous callers and other organizations out of admin endpoints', async () => {
		await addOrganization(service, 'globex', 'Globex');
		await service.addUser('boss@globex.example', 'admin', 'globex');
		const foreignAdmin = await service.signIn('boss@globex.example');
		const memberId = member.user.id;
		const endpoints: [string, string, unknown?][] = [
			['PUT', '/api/v1/admin/policy', validSettings.plainCompatible],
			['GET', '/api/v1/admin/policy/revisions'],
			['GET', '/api/v1/admin/members'],
			['POST', '/api/v1/admin/members', { email: 'new@acme.example' }],
			['DELETE', `/api/v1/admin/members/${memberId}`],
			['POST', '/api/v1/admin/tokens', { label: 'ci' }],
		];
		for (const [method, path, body] of endpoints) {
			const request = (token?: string) =>
				fetch(`${service.url}${path}`, {
					method,
					headers: { ...(token ? bearer(token) : {}), ...(body ? { 'content-type': 'application/json' } : {}), 'if-match': '"1"' },
					...(body ? { body: JSON.stringify(body) } : {}),
				});
			assert.equal((await request()).status, 401, `anonymous ${method} ${path}`);
			assert.equal((await request(member.access_token)).status, 403, `member ${method} ${path}`);
		}
		// Another organization's admin only ever reaches their own organization.
		const foreignPolicy = await jsonOf(await getPolicy(foreignAdmin.access_token));
		assert.equal(foreignPolicy.policy.organization.id, 'globex');
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/members/${memberId}`, { method: 'DELETE', headers: bearer(foreignAdmin.access_token) }))
				.status,
			404,
		);
		const foreignMembers = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(foreignAdmin.access_token) }));
		assert.deepEqual(
			foreignMembers.members.map((m: { email: string }) => m.email),
			['boss@globex.example'],
		);
		assert.equal((await putPolicy(service.url, foreignAdmin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		assert.equal(await revisionNow(), 1, "a foreign admin's save must not touch acme's policy");
	});

	it('delivers a new revision over SSE to every subscriber, with Last-Event-ID catch-up', async () => {
		const subscribe = (headers: Record<string, string> = {}) =>
			fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(member.access_token, { accept: 'text/event-stream', ...headers }) });
		const readers = await Promise.all([subscribe(), subscribe(), subscribe()]).then((responses) =>
			responses.map((response) => new EventReader(response)),
		);
		for (const reader of readers) {
			const first = await reader.next();
			assert.equal(first?.id, '1');
			assert.equal(first?.event, 'policy');
		}
		assert.equal((await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"')).status, 200);
		for (const reader of readers) {
			const event = await reader.next();
			assert.equal(event?.id, '2');
			const { policy } = verifySignedPolicy(JSON.parse(event!.data!), { signingKey: member.policy_signing_key, organizationId: 'acme' });
			assert.equal(policy.provider?.baseUrl, 'https://llm.acme.example/v1');
		}
		await Promise.all(readers.map((reader) => reader.cancel()));

		// A member who saw revision 1 reconnects and catches up on revision 2 at once...
		const behind = new EventReader(await subscribe({ 'last-event-id': '1' }));
		assert.equal((await behind.next())?.id, '2');
		await behind.cancel();
		// ...one who is current gets nothing until the next save.
		const current = new EventReader(await subscribe({ 'last-event-id': '2' }));
		await assert.rejects(current.next(300), /no event/);
		assert.equal((await putPolicy(service.url, admin.access_token, { enabled: false }, '"2"')).status, 200);
		assert.equal((await current.next())?.id, '3');
		await current.cancel();
	});

	it('sends heartbeats on an idle stream', async () => {
		await service.close();
		service = await startService({ heartbeatSeconds: 0.05 });
		await service.addUser('dev@acme.example', 'member');
		member = await service.signIn('dev@acme.example');
		const reader = new EventReader(
			await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(member.access_token, { 'last-event-id': '1' }) }),
		);
		assert.equal((await reader.next())?.comment, 'heartbeat');
		await reader.cancel();
	});

	it('records what each member applied and shows them in sync, behind or never synced', async () => {
		const members = async () =>
			(await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin.access_token) }))).members as {
				email: string;
				sync: string;
				appliedRevision: number | null;
			}[];
		const ack = (revision: unknown) =>
			fetch(`${service.url}/api/v1/policy/applied`, {
				method: 'POST',
				headers: bearer(member.access_token, { 'content-type': 'application/json' }),
				body: JSON.stringify({ revision }),
			});
		assert.equal((await members()).find((m) => m.email === 'dev@acme.example')?.sync, 'never synced');
		assert.equal((await ack(1)).status, 204);
		assert.equal((await members()).find((m) => m.email === 'dev@acme.example')?.sync, 'in sync');
		await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"');
		assert.equal((await members()).find((m) => m.email === 'dev@acme.example')?.sync, 'behind');
		assert.equal((await ack(2)).status, 204);
		assert.deepEqual(
			(await members()).find((m) => m.email === 'dev@acme.example'),
			{
				...(await members()).find((m) => m.email === 'dev@acme.example'),
				sync: 'in sync',
				appliedRevision: 2,
			},
		);
		assert.equal((await ack(99)).status, 400);
		assert.equal((await ack('two')).status, 400);
	});

	it('lists revisions newest first with a field diff that masks header values', async () => {
		await putPolicy(service.url, admin.access_token, validSettings.azureDeployment, '"1"');
		const changed = structuredClone(validSettings.azureDeployment);
		changed.provider.headers['X-Tenant'] = 'acme-secret-2';
		await putPolicy(service.url, admin.access_token, changed, '"2"');
		const response = await fetch(`${service.url}/api/v1/admin/policy/revisions`, { headers: bearer(admin.access_token) });
		const text = await response.text();
		assert.ok(!text.includes('acme-secret-2'), 'a header value leaked into the history');
		const { revisions } = JSON.parse(text);
		assert.deepEqual(
			revisions.map((r: { revision: number }) => r.revision),
			[3, 2, 1],
		);
		assert.deepEqual(revisions[0].changes, [{ path: 'provider.headers.X-Tenant', before: '••••••', after: '••••••' }]);
		assert.ok(
			revisions[1].changes.some(
				(c: { path: string; after: string }) => c.path === 'provider.baseUrl' && c.after === '"https://acme.openai.azure.com"',
			),
		);
		assert.equal(revisions[1].updatedBy, ADMIN.email);
	});

	it('lets an admin API token automate policy writes', async () => {
		const created = await fetch(`${service.url}/api/v1/admin/tokens`, {
			method: 'POST',
			headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
			body: JSON.stringify({ label: 'git sync' }),
		});
		assert.equal(created.status, 201);
		const { token } = await jsonOf(created);
		assert.equal((await putPolicy(service.url, token, validSettings.plainCompatible, '"1"')).status, 200);
	});

	it("counts every response by route pattern and status, and only its own server's (#31: from Node's diagnostics channel, not a hook)", async () => {
		const other = await startService();
		try {
			const otherMember = await other.signIn(ADMIN.email);
			await getPolicy(member.access_token);
			await getPolicy(member.access_token);
			assert.equal((await getPolicy('not-a-token')).status, 401);
			assert.equal((await fetch(`${service.url}/api/v1/no-such-route?x=1`)).status, 404);
			const removal = await fetch(`${service.url}/api/v1/admin/members/no-such-member`, {
				method: 'DELETE',
				headers: bearer(admin.access_token),
			});
			assert.equal(removal.status, 404);
			// The other service's responses are published on the same process-wide channel.
			for (let i = 0; i < 3; i++) {
				await fetch(`${other.url}/api/v1/policy`, { headers: bearer(otherMember.access_token) });
			}
			const metrics = await (await fetch(`${service.url}/metrics`)).text();
			const count = (method: string, route: string, status: number) =>
				Number(
					new RegExp(
						`org_policy_http_requests_total\\{method="${method}",route="${route.replace(/\//g, '\\/')}",status="${status}"\\} (\\d+)`,
					).exec(metrics)?.[1] ?? 0,
				);
			assert.equal(count('GET', '/api/v1/policy', 200), 2, "the members' reads, not the other service's three");
			assert.equal(count('GET', '/api/v1/policy', 401), 1);
			assert.equal(count('GET', 'unmatched', 404), 1);
			assert.equal(count('DELETE', '/api/v1/admin/members/:id', 404), 1, 'a route with a parameter is counted by its pattern');
		} finally {
			await other.close();
		}
	});

	it('answers a method a path does not take with 405 and the methods it does (RFC 9110 §15.5.6), and an unknown path with 404', async () => {
		for (const [method, path, allow] of [
			['DELETE', '/api/v1/policy', 'GET, HEAD'],
			['HEAD', '/api/v1/policy/events', 'GET'],
			['GET', '/api/v1/admin/groups/some-id?x=1', 'DELETE, PATCH'],
			['PUT', '/console/login', 'GET, HEAD, POST'],
		] as const) {
			const response = await fetch(`${service.url}${path}`, { method, headers: bearer(admin.access_token) });
			assert.equal(response.status, 405, `${method} ${path}`);
			assert.equal(response.headers.get('allow'), allow);
			if (method !== 'HEAD') {
				assert.deepEqual(await jsonOf(response), {
					error: 'method_not_allowed',
					message: `${path.split('?')[0]} answers ${allow}, not ${method}`,
				});
			}
		}
		// A browser sent to a console address gets a page with the way back, under a policy of its own.
		for (const [path, status, title] of [
			['/console/logout', 405, 'This address takes a form'],
			['/console/no-such-page', 404, 'Nothing here'],
		] as const) {
			const page = await fetch(`${service.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
			assert.equal(page.status, status, path);
			assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
			assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
			const body = await page.text();
			assert.match(body, new RegExp(`<h1>${title}</h1>`));
			assert.match(body, /href="\/console"/);
		}
		// A console asset that does not exist is missing, not a method refused (its route takes GET).
		for (const path of ['/console/assets/no-such-file.js', '/console/assets/..%2f..%2fpackage.json']) {
			const asset = await fetch(`${service.url}${path}`);
			assert.equal(asset.status, 404, path);
			assert.equal(asset.headers.get('allow'), null);
			assert.equal((await jsonOf(asset)).error, 'not_found');
		}
		const apiFromBrowser = await fetch(`${service.url}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
		assert.equal((await jsonOf(apiFromBrowser)).error, 'not_found', 'the API answers JSON whoever asks');
		// HEAD on the event stream opened no stream.
		assert.match(await (await fetch(`${service.url}/metrics`)).text(), /^org_policy_sse_subscribers 0$/m);
		// An address the router cannot decode is refused in the service's own shape, without echoing it.
		for (const path of ['/%', '/invite/secret-token%zz']) {
			const undecodable = await fetch(`${service.url}${path}`);
			assert.equal(undecodable.status, 400, path);
			assert.equal(undecodable.headers.get('x-content-type-options'), 'nosniff');
			assert.deepEqual(await jsonOf(undecodable), {
				error: 'invalid_request',
				message: 'the address is not a valid URL: each % in it must be followed by two hexadecimal digits',
			});
		}
		const unknown = await fetch(`${service.url}/api/v1/nothing-here?x=1`, { method: 'POST' });
		assert.equal(unknown.status, 404);
		assert.deepEqual(await jsonOf(unknown), { error: 'not_found', message: 'no route for POST /api/v1/nothing-here' });
		assert.equal(await revisionNow(), 1);
	});

	it("answers a request Node cannot parse in the service's own shape, nosniff, and closes the connection", async () => {
		const { port } = new URL(service.url);
		/** What the service sends back to `raw` before it closes the connection. */
		const exchange = (raw: string) =>
			new Promise<string>((resolve, reject) => {
				let answer = '';
				const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
				socket.on('data', (chunk) => (answer += String(chunk)));
				socket.on('error', reject);
				socket.on('close', () => resolve(answer));
			});
		for (const [raw, status, body] of [
			[
				`GET /api/v1/policy HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n`,
				'400 Bad Request',
				{ error: 'invalid_request', message: 'the request is not valid HTTP/1.1' },
			],
			[
				`GET /api/v1/policy HTTP/1.1\r\nHost: x\r\nX-Large: ${'a'.repeat(20_000)}\r\n\r\n`,
				'431 Request Header Fields Too Large',
				{ error: 'headers_too_large', message: 'the request headers are larger than this service reads (16 KB in all)' },
			],
		] as const) {
			const answer = await exchange(raw);
			const [head, text] = answer.split('\r\n\r\n');
			assert.match(head!, new RegExp(`^HTTP/1.1 ${status}\r\n`));
			assert.match(head!, /\r\nx-content-type-options: nosniff\r\n/i);
			assert.match(head!, /\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
			assert.deepEqual(JSON.parse(text!), body);
		}
	});

	it('marks every answer nosniff, refusals and misses included, so no browser reads one as another type', async () => {
		const asked: [string, RequestInit?][] = [
			['/api/v1/policy'],
			['/api/v1/policy', { headers: bearer(member.access_token) }],
			['/api/v1/admin/usage.csv', { headers: bearer(admin.access_token) }],
			['/api/v1/admin/members?sync=bogus', { headers: bearer(admin.access_token) }],
			[
				'/api/v1/admin/policy',
				{ method: 'PUT', headers: { ...bearer(admin.access_token), 'content-type': 'application/json' }, body: '{' },
			],
			['/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
			['/scim/v2/Users'],
			['/api/v1/nothing-here'],
			['/healthz'],
			['/metrics'],
			['/api/v1/openapi.json'],
			['/console/login'],
			['/console/no-such-page', { headers: { accept: 'text/html' } }],
		];
		for (const [path, init] of asked) {
			const response = await fetch(`${service.url}${path}`, init);
			await response.arrayBuffer();
			assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `${init?.method ?? 'GET'} ${path} (${response.status})`);
		}
	});

	it('answers health, readiness, metrics and the generated OpenAPI document', async () => {
		assert.deepEqual(await jsonOf(await fetch(`${service.url}/healthz`)), { status: 'ok' });
		assert.deepEqual(await jsonOf(await fetch(`${service.url}/readyz`)), { status: 'ready', store: service.store.kind });
		await putPolicy(service.url, admin.access_token, validSettings.plainCompatible, '"1"');
		const metrics = await (await fetch(`${service.url}/metrics`)).text();
		assert.match(metrics, /org_policy_current_revision\{org="acme"\} 2/);
		assert.match(metrics, /org_policy_http_requests_total\{method="PUT",route="\/api\/v1\/admin\/policy",status="200"\} 1/);
		assert.match(metrics, /org_policy_sse_subscribers 0/);
		const openapi = await jsonOf(await fetch(`${service.url}/api/v1/openapi.json`));
		assert.equal(openapi.openapi, '3.1.0');
		const settings = openapi.components.schemas.PolicySettings;
		assert.deepEqual(settings.required, ['enabled']);
		assert.equal(settings.properties.provider.properties.id.const, 'openai-compatible');
		assert.ok(openapi.paths['/api/v1/admin/policy'].put);
	});

	it('sends the bare address to the console, and the console to its sign-in page', async () => {
		const root = await fetch(`${service.url}/`, { redirect: 'manual' });
		assert.equal(root.status, 302);
		assert.equal(root.headers.get('location'), '/console');
		const signIn = await fetch(`${service.url}/`);
		assert.match(new URL(signIn.url).pathname, /^\/console\/login/, 'following the redirects ends at the console sign-in');
		assert.equal(signIn.status, 200);
	});
});
