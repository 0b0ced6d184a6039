import assert from 'node:assert/strict';
import { FakeEndpoint } from '../support/fake-endpoint';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, form, jsonOf, ManualClock, startService, type RunningService } from '../support/service';
import { startTokenGateway, type TokenGateway } from '../support/token-gateway';

const AUDIENCE = validSettings.organizationToken.provider.organizationToken.audience;

/**
 * Organization tokens at a real gateway: Apache httpd with mod_auth_openidc validating them against
 * the service's JWKS and reverse-proxying to the endpoint. What passes reaches the endpoint; what
 * is expired, for another audience or signed by a retired key is refused there.
 */
describe('organization tokens at a real gateway (Apache httpd + mod_auth_openidc)', function () {
	this.timeout(60_000);
	let service: RunningService;
	let clock: ManualClock;
	let endpoint: FakeEndpoint;
	const gateways: TokenGateway[] = [];

	const gateway = async () => {
		const started = await startTokenGateway({ serviceUrl: service.url, endpointUrl: endpoint.url, audience: AUDIENCE });
		gateways.push(started);
		return started;
	};
	const tokenFor = async (accessToken: string) => {
		const response = await form(`${service.url}/oauth/token`, {
			grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
			subject_token: accessToken,
			subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
			client_id: 'vscode',
		});
		return { status: response.status, body: await jsonOf(response) };
	};
	const call = (at: TokenGateway, token: string) => fetch(`${at.url}/v1/models`, { headers: bearer(token) });

	beforeEach(async () => {
		clock = new ManualClock(Date.now());
		service = await startService({ clock });
		endpoint = await FakeEndpoint.start();
		endpoint.behaviour = { models: ['gpt-4o'] };
		assert.equal((await service.policies.save('acme', validSettings.organizationToken, 'any', ADMIN.email)).kind, 'saved');
	});
	afterEach(async () => {
		for (const each of gateways.splice(0)) {
			await each.close();
		}
		await endpoint.close();
		await service.close();
	});

	it('lets a member’s token through to the endpoint, and refuses an expired one and one for another audience', async () => {
		const at = await gateway();
		const member = await service.addUser('dev@acme.example', 'member');
		const signedIn = await service.signIn(member.email);
		const issued = await tokenFor(signedIn.access_token);
		assert.equal(issued.status, 200);

		const passed = await call(at, issued.body.access_token);
		assert.equal(passed.status, 200, at.errorLog());
		assert.deepEqual(
			(await jsonOf(passed)).data.map((model: { id: string }) => model.id),
			['gpt-4o'],
		);
		assert.equal(endpoint.requests.at(-1)?.headers.authorization, `Bearer ${issued.body.access_token}`, 'the endpoint got the request');

		// Issued eleven minutes ago with a ten-minute lifetime.
		clock.time = Date.now() - 11 * 60_000;
		const expired = await tokenFor(signedIn.access_token);
		clock.time = Date.now();
		const seen = endpoint.requests.length;
		assert.equal((await call(at, expired.body.access_token)).status, 401);
		assert.match(at.errorLog(), /"exp" validation failure/);

		await service.policies.save(
			'acme',
			{
				...validSettings.organizationToken,
				provider: { ...validSettings.organizationToken.provider, organizationToken: { audience: 'https://other.example' } },
			},
			'any',
			ADMIN.email,
		);
		const elsewhere = await tokenFor(signedIn.access_token);
		assert.equal(elsewhere.status, 200);
		assert.equal((await call(at, elsewhere.body.access_token)).status, 401, 'the gateway requires its own audience');
		assert.equal(endpoint.requests.length, seen, 'nothing refused reached the endpoint');
	});

	it('refuses a token signed by a retired key once the overlap is over, and issues none to a removed member', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		const signedIn = await service.signIn(member.email);
		const old = (await tokenFor(signedIn.access_token)).body.access_token;
		const admin = (await service.signIn(ADMIN.email)).access_token;
		// Rotated at once (a leaked key, say): the old key signs nothing more, but stays published while its tokens live.
		const rotated = await fetch(`${service.url}/api/v1/admin/token-keys/rotate`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ activateInMinutes: 0 }),
		});
		assert.equal(rotated.status, 200);

		// During the overlap both keys are published: a gateway that fetches the keys now takes the old token.
		const during = await gateway();
		assert.equal((await call(during, old)).status, 200, during.errorLog());

		// After the overlap the old key is gone from the JWKS: a gateway that fetches the keys then refuses
		// the old key's token even though (by the gateway's clock) it has not expired.
		clock.advance(11 * 60_000);
		const after = await gateway();
		assert.equal((await call(after, old)).status, 401);
		assert.match(after.errorLog(), /could not find key with kid/);
		clock.time = Date.now();
		const fresh = (await tokenFor(signedIn.access_token)).body.access_token;
		assert.equal((await call(after, fresh)).status, 200, 'the new key’s token passes the same gateway');

		// Removed in the console (the SCIM deactivation is in organization-tokens.test.ts): no new token to present.
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/members/${member.id}`, { method: 'DELETE', headers: bearer(admin) })).status,
			204,
		);
		const refused = await tokenFor(signedIn.access_token);
		assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);
	});
});
