import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { validSettings } from '../support/policy-fixtures';
import { scim, scimToken } from '../support/scim-client';
import { startIdentityProvider } from '../support/identity-provider';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';
import {
	ADMIN,
	approveDevice,
	bearer,
	form,
	jsonOf,
	ManualClock,
	startService,
	type RunningService,
	createGroup,
} from '../support/service';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const AUDIENCE = validSettings.organizationToken.provider.organizationToken.audience;

/** RFC 8693 token exchange at the token endpoint, as the extension makes it. */
function exchange(service: RunningService, subjectToken: string, extra: Record<string, string> = {}) {
	return form(`${service.url}/oauth/token`, {
		grant_type: EXCHANGE,
		subject_token: subjectToken,
		subject_token_type: ACCESS_TOKEN,
		client_id: 'vscode',
		...extra,
	});
}

/**
 * Organization tokens: short-lived JWTs the service issues each member for the endpoint's gateway,
 * verified here against the service's own JWKS with `jose`, as a gateway does.
 */
describe('organization tokens', function () {
	this.timeout(30_000);
	let service: RunningService;
	let clock: ManualClock;

	beforeEach(async () => {
		clock = new ManualClock(Date.now());
		service = await startService({ clock });
		const saved = await service.policies.save('acme', validSettings.organizationToken, 'any', ADMIN.email);
		assert.equal(saved.kind, 'saved', JSON.stringify(saved));
	});
	afterEach(async () => service.close());

	it('openid-client discovers the service from its issuer URL alone (RFC 8414) and completes the device flow, refresh, exchange and revocation', async () => {
		// Read before any token exists (a gateway being set up): the key that will sign them is there already.
		const before = await jsonOf(await fetch(`${service.url}/.well-known/jwks.json`));
		assert.equal(before.keys.length, 1);
		assert.deepEqual([before.keys[0].kty, before.keys[0].alg, before.keys[0].use], ['RSA', 'RS256', 'sig']);
		const metadata = await jsonOf(await fetch(`${service.url}/.well-known/oauth-authorization-server`));
		assert.equal(metadata.issuer, service.url);
		assert.equal(metadata.jwks_uri, `${service.url}/.well-known/jwks.json`);
		assert.ok(metadata.grant_types_supported.includes(EXCHANGE));

		const config = await client.discovery(new URL(service.url), 'vscode', undefined, client.None(), {
			algorithm: 'oauth2',
			execute: [client.allowInsecureRequests],
		});
		assert.equal(config.serverMetadata().token_endpoint, `${service.url}/oauth/token`);
		const member = await service.addUser('dev@acme.example', 'member');
		const started = await client.initiateDeviceAuthorization(config, {});
		assert.equal((await approveDevice(service.url, started.user_code, member.email, member.password)).status, 200);
		const signedIn = await client.pollDeviceAuthorizationGrant(config, started);
		assert.ok(signedIn.access_token && signedIn.refresh_token);

		const refreshed = await client.refreshTokenGrant(config, signedIn.refresh_token!);
		assert.notEqual(refreshed.access_token, signedIn.access_token);
		const exchanged = await client.genericGrantRequest(config, EXCHANGE, {
			subject_token: refreshed.access_token,
			subject_token_type: ACCESS_TOKEN,
			audience: AUDIENCE,
		});
		assert.equal(exchanged.issued_token_type, 'urn:ietf:params:oauth:token-type:jwt');
		assert.equal(exchanged.expires_in, 600);
		const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
		const { payload, protectedHeader } = await jwtVerify(exchanged.access_token, jwks, {
			issuer: service.url,
			audience: AUDIENCE,
			typ: 'at+jwt',
			currentDate: new Date(clock.now()),
		});
		assert.equal(protectedHeader.alg, 'RS256');
		assert.deepEqual(
			{
				sub: payload.sub,
				email: payload.email,
				org: payload.org,
				models: payload.models,
				groups: payload.groups,
				lifetime: payload.exp! - payload.iat!,
			},
			{ sub: member.id, email: member.email, org: 'acme', models: ['gpt-4o', 'gpt-4o-mini'], groups: [], lifetime: 600 },
		);
		assert.notEqual(
			protectedHeader.kid,
			service.policies && (await service.policies.signingKey('acme'))?.keyId,
			'never the policy signing key',
		);

		await client.tokenRevocation(config, refreshed.access_token);
		const afterRevocation = await exchange(service, refreshed.access_token);
		assert.equal(afterRevocation.status, 400);
		assert.equal((await jsonOf(afterRevocation)).error, 'invalid_grant');
	});

	it('names the member’s groups, and refuses another audience, automation tokens, and a policy without organization tokens', async () => {
		const member = await service.addUser('ann@acme.example', 'member');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		await createGroup(service.url, admin, 'Research', [member.email]);
		const signedIn = await service.signIn(member.email);
		const issued = await jsonOf(await exchange(service, signedIn.access_token));
		const [, body] = issued.access_token.split('.');
		assert.deepEqual(JSON.parse(Buffer.from(body, 'base64url').toString()).groups, ['Research']);

		const other = await exchange(service, signedIn.access_token, { audience: 'https://elsewhere.example' });
		assert.deepEqual([other.status, (await jsonOf(other)).error], [400, 'invalid_target']);

		const automation = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'ci' }),
			}),
		);
		assert.equal((await exchange(service, automation.token)).status, 400, 'an automation token is not a member at the endpoint');

		await service.policies.save('acme', validSettings.plainCompatible, 'any', ADMIN.email);
		const off = await exchange(service, signedIn.access_token);
		assert.deepEqual(
			[off.status, (await jsonOf(off)).error_description],
			[400, 'the organization’s policy does not use organization tokens'],
		);
	});

	it('names the models the member may use, their group overlay’s and their side of a rollout, not the organization’s newest list', async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const [contractor, pilot, everyone] = await Promise.all(
			['contractor', 'pilot', 'everyone'].map((name) => service.addUser(`${name}@acme.example`, 'member')),
		);
		await createGroup(service.url, admin, 'Contractors', [contractor.email]);
		await createGroup(service.url, admin, 'Pilots', [pilot.email]);
		const base = validSettings.organizationToken;
		const withOverlay = { ...base, overlays: [{ group: 'Contractors', models: { allowed: ['gpt-4o-mini'] } }] };
		assert.equal((await service.policies.save('acme', withOverlay, 'any', ADMIN.email)).kind, 'saved');
		const modelsOf = async (email: string) => {
			const issued = await jsonOf(await exchange(service, (await service.signIn(email)).access_token));
			return JSON.parse(Buffer.from(issued.access_token.split('.')[1], 'base64url').toString()).models as string[];
		};
		assert.deepEqual(
			await modelsOf(contractor.email),
			['gpt-4o-mini'],
			'a gateway that enforces the claim keeps contractors to their model',
		);
		assert.deepEqual(await modelsOf(everyone.email), ['gpt-4o', 'gpt-4o-mini']);

		// A new model for the pilots first: nobody outside the canary gets it in their token.
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify({
				...withOverlay,
				provider: { ...base.provider, models: { allowed: ['gpt-4o', 'gpt-4o-mini', 'o3'] } },
			}),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		assert.deepEqual(await modelsOf(pilot.email), ['gpt-4o', 'gpt-4o-mini', 'o3']);
		assert.deepEqual(await modelsOf(everyone.email), ['gpt-4o', 'gpt-4o-mini']);
		assert.deepEqual(await modelsOf(contractor.email), ['gpt-4o-mini']);
		// A member may report any revision as applied: that does not put them in the canary.
		const outside = (await service.signIn(everyone.email)).access_token;
		const claimed = await fetch(`${service.url}/api/v1/policy/applied`, {
			method: 'POST',
			headers: bearer(outside, { 'content-type': 'application/json' }),
			body: JSON.stringify({ revision: (await service.policies.current('acme'))!.revision }),
		});
		assert.equal(claimed.status, 204);
		assert.deepEqual(await modelsOf(everyone.email), ['gpt-4o', 'gpt-4o-mini'], 'a reported revision is no way into the canary');
		assert.equal((await fetch(`${service.url}/api/v1/admin/rollout/promote`, { method: 'POST', headers: bearer(admin) })).status, 200);
		assert.deepEqual(await modelsOf(everyone.email), ['gpt-4o', 'gpt-4o-mini', 'o3']);
	});

	it('gives a member the directory deactivates no new token, and the members list says how long their last one lives', async () => {
		const member = await service.addUser('leaver@acme.example', 'member');
		const signedIn = await service.signIn(member.email);
		assert.equal((await exchange(service, signedIn.access_token)).status, 200);
		const issuedAt = clock.now();

		// The directory (SCIM, which needs single sign-on set up) deactivates the person.
		const idp = await startIdentityProvider([`${service.url}/console/sso/callback`]);
		try {
			const browser = await adminConsole(service);
			const sso = await saveSsoSettings(browser, service, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }));
			assert.equal(sso.status, 200);
			const directory = scim(service, await scimToken(browser, service));
			assert.equal((await directory.patch(member.id, [{ op: 'Replace', path: 'active', value: 'False' }])).status, 200);
		} finally {
			await idp.close();
		}
		const refused = await exchange(service, signedIn.access_token);
		assert.equal(refused.status, 400);
		assert.equal((await jsonOf(refused)).error, 'invalid_grant');
		// Their extension's refresh is refused saying what happened.
		const refreshed = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: signedIn.refresh_token,
			client_id: 'vscode',
		});
		assert.equal((await jsonOf(refreshed)).error_description, 'this account was deactivated');

		const admin = (await service.signIn(ADMIN.email)).access_token;
		const listed = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
		const leaver = listed.members.find((entry: { email: string }) => entry.email === member.email);
		assert.equal(leaver.organizationTokenUntil, new Date(issuedAt + 600_000).toISOString());
		clock.advance(601_000);
		const later = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
		assert.equal(later.members.find((entry: { email: string }) => entry.email === member.email).organizationTokenUntil, undefined);
	});

	it('rotates with overlap: the new key is published before it signs, the old one stays published while its tokens live', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		const signedIn = await service.signIn(member.email);
		const kidOf = async () => decodeProtectedHeader((await jsonOf(await exchange(service, signedIn.access_token))).access_token).kid;
		const kids = async () =>
			(await jsonOf(await fetch(`${service.url}/.well-known/jwks.json`))).keys.map((key: { kid: string }) => key.kid).sort();
		const oldKid = await kidOf();

		const admin = (await service.signIn(ADMIN.email)).access_token;
		const rotated = await fetch(`${service.url}/api/v1/admin/token-keys/rotate`, { method: 'POST', headers: bearer(admin) });
		assert.equal(rotated.status, 200, await rotated.clone().text());
		const listed = await jsonOf(rotated);
		assert.equal(listed.keys.length, 2);
		const newKey = listed.keys.find((key: { kid: string }) => key.kid !== oldKid);
		assert.equal(newKey.activatesAt, new Date(clock.now() + 15 * 60_000).toISOString(), 'signs in 15 minutes by default');
		assert.match(newKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
		assert.deepEqual(await kids(), [oldKid, newKey.kid].sort(), 'published at once, so gateways that cache the key set have it in time');
		assert.equal(await kidOf(), oldKid, 'the old key still signs until then');

		clock.advance(14 * 60_000);
		assert.equal(await kidOf(), oldKid, 'a minute before the activation');
		clock.advance(60_000);
		assert.equal(await kidOf(), newKey.kid, 'the new key signs from its activation');
		const after = await jsonOf(await fetch(`${service.url}/api/v1/admin/token-keys`, { headers: bearer(admin) }));
		const old = after.keys.find((key: { kid: string }) => key.kid === oldKid);
		assert.equal(old.retiredAt, newKey.activatesAt);
		// Its last token was issued a minute before the activation and lives ten minutes.
		assert.equal(old.publishedUntil, new Date(Math.ceil((Date.parse(newKey.activatesAt) + 540_000) / 60_000) * 60_000).toISOString());
		assert.deepEqual(await kids(), [oldKid, newKey.kid].sort(), 'the old key is still published while its tokens live');

		clock.advance(10 * 60_000);
		assert.deepEqual(await kids(), [newKey.kid], 'then only the new one');
		const activity = await service.store.audit.listAudit('acme', { limit: 5 });
		assert.ok(activity.some((event) => event.action === 'token_key.rotated' && event.actor === ADMIN.email));

		const wrong = await fetch(`${service.url}/api/v1/admin/token-keys/rotate`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ activateInMinutes: -1 }),
		});
		assert.equal(wrong.status, 400);
		assert.match(JSON.stringify(await jsonOf(wrong)), /activateInMinutes.*must be 0 or more/);
	});
});
