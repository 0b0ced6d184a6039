import assert from 'node:assert/strict';
import { createChatClient, createDispatcher, fetchThrough, organizationTokenCredential, type EffectiveProvider } from '../../src/client';
import { SignInRequiredError } from '../../src/client/credentials';
import { OrganizationTokenSource } from '../../src/extension/auth/organization-token';
import { SessionManager } from '../../src/extension/auth/session-manager';
import { FakeEndpoint } from '../support/fake-endpoint';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemorySecretStore } from '../support/memory-storage';
import { storeOutOfReach } from '../support/store-outage';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, approveDevice, bearer, ManualClock, startService, type RunningService } from '../support/service';
import { startTokenGateway, type TokenGateway } from '../support/token-gateway';

const SETTINGS = validSettings.organizationToken;
const AUDIENCE = SETTINGS.provider.organizationToken.audience;
const MEMBER = { email: 'dev@acme.example', password: 'pw-dev@acme.example-long-enough' };

/**
 * The member's side of organization tokens: the extension's token source exchanges the member's own
 * sign-in for a token, keeps it in memory, renews it, and the chat client sends it — through a real
 * gateway, whose refusals Test Connection explains in one sentence.
 */
describe('organization tokens from the member’s side', function () {
	this.timeout(60_000);
	let service: RunningService;
	/** The service's clock and the member's computer's (for its tokens): apart, so a slow member clock can be played. */
	let clock: ManualClock;
	let memberClock: ManualClock;
	let scheduler: ManualScheduler;
	let secrets: MemorySecretStore;
	let sessions: SessionManager;
	let source: OrganizationTokenSource;
	let endpoint: FakeEndpoint;
	const gateways: TokenGateway[] = [];
	/** The service's group reads out of reach (its database down), when on. */
	const outage = { now: false };
	const dispatcher = createDispatcher({ headersTimeoutMs: 5000, connectTimeoutMs: 5000 });

	beforeEach(async () => {
		clock = new ManualClock(Date.now());
		memberClock = new ManualClock(Date.now());
		// The device flow's polling moves the service's clock (it would answer slow_down otherwise).
		scheduler = new ManualScheduler(clock, true);
		outage.now = false;
		service = await startService({ clock, wrapStore: (store) => storeOutOfReach(store, outage, new Set(['groupsOf'])) });
		assert.equal((await service.policies.save('acme', SETTINGS, 'any', ADMIN.email)).kind, 'saved');
		await service.addUser(MEMBER.email, 'member');
		secrets = new MemorySecretStore();
		sessions = new SessionManager(secrets, () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		await sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, MEMBER.email, MEMBER.password) },
			new AbortController().signal,
		);
		source = new OrganizationTokenSource({
			connection: () => ({ serverUrl: service.url, fetch: globalThis.fetch }),
			accessToken: () => sessions.accessToken(),
			refreshSession: () => sessions.refresh(),
			now: () => memberClock.now(),
			organization: () => 'Acme Corp',
		});
		endpoint = await FakeEndpoint.start();
	});
	afterEach(async () => {
		for (const each of gateways.splice(0)) {
			await each.close();
		}
		sessions.dispose();
		await endpoint.close();
		await service.close();
	});

	const gateway = async () => {
		const started = await startTokenGateway({ serviceUrl: service.url, endpointUrl: endpoint.url, audience: AUDIENCE });
		gateways.push(started);
		return started;
	};
	const clientFor = (baseUrl: string, header = 'Authorization', audience = AUDIENCE) => {
		const provider: EffectiveProvider = {
			baseUrl,
			headers: {},
			apiKeyRequired: false,
			organizationToken: { audience, lifetimeMinutes: 10, header },
			models: { allowed: ['gpt-4o'] },
		};
		const credential = organizationTokenCredential({
			header,
			getToken: () => source.token(audience),
			discard: () => source.discard(),
			facts: () => source.facts(),
		});
		return createChatClient(provider, { fetch: fetchThrough(dispatcher), credentials: credential, owner: 'Acme Corp' });
	};

	it('exchanges the member’s sign-in for a token, keeps it in memory only, renews it before it expires, and gets none once removed', async () => {
		const first = await source.token(AUDIENCE);
		assert.equal(await source.token(AUDIENCE), first, 'reused while it has time left');
		assert.ok(![...secrets.values.values()].some((value) => value.includes(first)), 'never written to secret storage');

		memberClock.advance(9.5 * 60_000);
		const renewed = await source.token(AUDIENCE);
		assert.notEqual(renewed, first, 'renewed in its last minute');

		const admin = (await service.signIn(ADMIN.email)).access_token;
		const member = (await service.store.listUsers('acme')).find((user) => user.email === MEMBER.email)!;
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/members/${member.id}`, { method: 'DELETE', headers: bearer(admin) })).status,
			204,
		);
		source.discard();
		await assert.rejects(source.token(AUDIENCE), (error: unknown) => {
			assert.ok(error instanceof SignInRequiredError);
			assert.match(error.message, /^Acme Corp no longer gives this account a token/);
			return true;
		});
		assert.equal(sessions.session, undefined, 'the refused refresh signed the member out');
	});

	it('says the service could not give a token now when its database is out of reach, and keeps the member signed in', async () => {
		outage.now = true;
		await assert.rejects(source.token(AUDIENCE), (error: unknown) => {
			assert.ok(error instanceof SignInRequiredError);
			assert.equal(
				error.message,
				"Could not get a token from Acme Corp's policy service: it answered 503: the service cannot reach its database right now; try again shortly. Try again when it is back.",
			);
			return true;
		});
		assert.ok(sessions.session, 'still signed in');
		outage.now = false;
		assert.ok(await source.token(AUDIENCE), 'a token once the database is back');
	});

	it('sends the token as a bearer token through the gateway, or in the policy’s own header', async () => {
		const at = await gateway();
		const text = await clientFor(`${at.url}/v1`).complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		assert.equal(text, 'Hello from the endpoint ✓');
		const sent = await source.token(AUDIENCE);
		assert.equal(endpoint.requests.at(-1)?.headers.authorization, `Bearer ${sent}`);

		await clientFor(`${endpoint.url}/v1`, 'X-Org-Token').complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		const direct = endpoint.requests.at(-1)!;
		assert.equal(direct.headers['x-org-token'], await source.token(AUDIENCE));
		assert.equal(direct.headers.authorization, undefined, 'no other credential header');
	});

	it('Test Connection says in one sentence why the gateway refused the token: another audience, an expired token', async () => {
		const at = await gateway();
		await service.policies.save(
			'acme',
			{ ...SETTINGS, provider: { ...SETTINGS.provider, organizationToken: { audience: 'https://other.example' } } },
			'any',
			ADMIN.email,
		);
		// The admin set an audience the gateway does not expect.
		const otherAudience = await clientFor(`${at.url}/v1`, 'Authorization', 'https://other.example').testConnection();
		assert.equal(otherAudience.ok, false);
		assert.equal(otherAudience.chats[0]?.kind, 'token-rejected');
		assert.match(otherAudience.chats[0]?.message ?? '', /accepted the organization token's signature but not its claims/);
		assert.equal(otherAudience.headersSent.Authorization, 'Bearer •••••• (organization token)');
		await service.policies.save('acme', SETTINGS, 'any', ADMIN.email);

		// This computer's clock is eleven minutes slow: the token the service issued then looks fresh
		// here, but has expired by the gateway's clock.
		const provider = clientFor(`${at.url}/v1`);
		source.discard();
		clock.time = Date.now() - 11 * 60_000;
		memberClock.time = clock.time;
		await source.token(AUDIENCE);
		clock.time = Date.now();
		const expired = await provider.testConnection();
		// The listing went first and was refused; the token was then discarded, so the chat request
		// that followed got a new one (issued by the service's right clock) and passed.
		assert.match(expired.listing.message, /refused the organization token because it expired at .*: the next request gets a new one/);
		assert.equal(expired.listing.message.split('. ').length, 1, 'one sentence');
		assert.deepEqual(expired.chats, [{ model: 'gpt-4o', ok: true }]);
	});
});
