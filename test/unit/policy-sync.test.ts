import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPolicyDocument, generateSigningKeyPair, PolicySettingsSchema, signPolicy } from '../../src/policy';
import { syncSessionFor } from '../../src/extension/sync/sync-session';
import { SessionManager, SESSION_SECRET_KEY, type SessionChange } from '../../src/extension/auth/session-manager';
import {
	backoffDelay,
	BACKOFF,
	POLL_INTERVAL_MS,
	PolicySync,
	type SyncSession,
	type SyncState,
} from '../../src/extension/sync/policy-sync';
import { eventually, whenChanged } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { ACME_CACHE_KEY, cachedPolicy, MemoryKeyValueStore, MemorySecretStore, setCachedPolicy } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { storeOutOfReach } from '../support/store-outage';
import { ADMIN, approveDevice, bearer, jsonOf, ManualClock, putPolicy, startService, type RunningService } from '../support/service';
import { startInTheWay } from '../support/in-the-way';

/** Resolves when the sync state matches (re-checked on each change, never a sleep), failing after 5 s. */
const stateWhere = (sync: PolicySync, predicate: (state: SyncState) => boolean, what: string): Promise<SyncState> =>
	whenChanged(() => sync.current, sync.onDidChangeState, predicate, what);

const revisionIs =
	(revision: number, status = 'in-sync') =>
	(state: SyncState) =>
		state.status === status && state.policy?.document.revision === revision;

describe('policy sync against the real service', () => {
	let clock: ManualClock;
	let scheduler: ManualScheduler;
	let service: RunningService;
	let dataDir: string;
	let secrets: MemorySecretStore;
	let memento: MemoryKeyValueStore;
	/** Where the sync keeps its pin (the extension shares VS Code's one secret storage; apart here to tell them apart). */
	let syncSecrets: MemorySecretStore;
	let sessions: SessionManager;
	let sync: PolicySync;
	let admin: string;

	// Built as the sync feature builds it.
	const syncSession = (): SyncSession => syncSessionFor(sessions, { serverUrl: service.url, fetch: globalThis.fetch })!;

	beforeEach(async () => {
		clock = new ManualClock();
		scheduler = new ManualScheduler(clock, true);
		dataDir = mkdtempSync(join(tmpdir(), 'opp-sync-'));
		service = await startService({ clock, dataDir });
		await service.addUser('dev@acme.example', 'member');
		admin = (await service.signIn(ADMIN.email)).access_token;
		secrets = new MemorySecretStore();
		memento = new MemoryKeyValueStore();
		syncSecrets = new MemorySecretStore();
		sessions = new SessionManager(secrets, () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		await sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, 'dev@acme.example', 'pw-dev@acme.example-long-enough') },
			new AbortController().signal,
		);
		scheduler.autoAdvance = false;
		sync = new PolicySync({ state: memento, secrets: syncSecrets }, scheduler, { ackSpreadMs: 0 });
		sessions.onDidChange(({ session }) => !session && sync.signedOut());
	});
	afterEach(async () => {
		sync.dispose();
		sessions.dispose();
		await service.close().catch(() => undefined);
		rmSync(dataDir, { recursive: true, force: true });
	});

	it('follows a sign-out and a sign-in made in another window', async () => {
		const otherWindow = new SessionManager(secrets, () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		try {
			assert.equal((await otherWindow.reload())?.account.email, 'dev@acme.example');
			await sessions.signOut('user');
			await eventually('the other window to see the sign-out', () => otherWindow.session === undefined);
			scheduler.autoAdvance = true;
			await sessions.signIn(
				{ showCode: (code) => void approveDevice(service.url, code.user_code, 'dev@acme.example', 'pw-dev@acme.example-long-enough') },
				new AbortController().signal,
			);
			await eventually('the other window to see the sign-in', () => otherWindow.session?.accessToken === sessions.session?.accessToken);
		} finally {
			otherWindow.dispose();
		}
	});

	it('stays signed in when two windows refresh their shared sign-in at once (their streams end with the same token)', async () => {
		const otherWindow = new SessionManager(secrets, () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		try {
			await otherWindow.reload();
			const before = sessions.session!.refreshToken;
			assert.deepEqual(await Promise.all([sessions.refresh(), otherWindow.refresh()]), [true, true]);
			await eventually(
				'both windows to hold the one session stored last',
				() => sessions.session !== undefined && sessions.session.accessToken === otherWindow.session?.accessToken,
			);
			assert.notEqual(sessions.session!.refreshToken, before);
			assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(sessions.session!.accessToken) })).status, 200);
		} finally {
			otherWindow.dispose();
		}
	});

	it('keeps tokens only in secret storage', () => {
		assert.deepEqual(secrets.keys(), [SESSION_SECRET_KEY]);
		assert.equal(sessions.session?.organization.name, 'Acme Corp');
	});

	it('fetches, applies, caches and acknowledges; then follows new revisions over the stream', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		assert.equal(sync.current.policy?.source, 'live');
		assert.ok(syncSecrets.values.has(ACME_CACHE_KEY), 'the applied revision is cached, in secret storage');
		assert.deepEqual(memento.keys(), [], 'nothing of the policy in global state (plain text on disk)');

		assert.equal((await putPolicy(service.url, admin, validSettings.azureDeployment, '"1"')).status, 200);
		const state = await stateWhere(sync, revisionIs(2), 'revision 2 from the stream');
		assert.equal(state.policy?.document.provider?.baseUrl, 'https://acme.openai.azure.com');
		await eventually('the service to record revision 2 as applied', async () => {
			const members = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
			return members.members.find((m: { email: string }) => m.email === 'dev@acme.example').appliedRevision === 2;
		});
	});

	it('answers a refresh with 304 when nothing changed', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		await sync.refreshNow(syncSession());
		const metrics = await (await fetch(`${service.url}/metrics`)).text();
		assert.match(metrics, /org_policy_http_requests_total\{method="GET",route="\/api\/v1\/policy",status="304"\} 1/);
		assert.equal(sync.current.status, 'in-sync');
	});

	it('goes stale when the service is gone, backs off within 1–30 s, and catches up when it returns', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		const port = Number(new URL(service.url).port);
		await service.close();
		const stale = await stateWhere(sync, (state) => state.status === 'stale', 'stale');
		assert.equal(stale.policy?.document.revision, 1, 'the last good revision stays applied');
		assert.equal(stale.status === 'stale' && stale.since, clock.now());
		const delays: number[] = [];
		for (let i = 0; i < 7; i++) {
			const delay = await scheduler.pendingSleep();
			delays.push(delay);
			scheduler.advance(delay);
		}
		assert.ok(
			delays.every((ms) => ms >= BACKOFF.initialMs && ms <= BACKOFF.maxMs),
			`delays ${delays}`,
		);
		assert.ok(delays[3]! > delays[0]!, `delays grow: ${delays}`);
		assert.equal(sync.current.status, 'stale');

		service = await startService({ clock, dataDir, port });
		admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		scheduler.advance(await scheduler.pendingSleep());
		await stateWhere(sync, revisionIs(2), 'revision 2 after reconnecting');

		// A second outage soon after: retried from the shortest wait, not where the last one ended.
		await service.close();
		const again = await stateWhere(sync, (state) => state.status === 'stale', 'stale again');
		assert.match(again.status === 'stale' ? again.reason : '', /policy service/, 'stale says why');
		assert.equal(await scheduler.pendingSleep(), BACKOFF.initialMs);
	});

	it("after the service's database is restored from an earlier backup: keeps the newer revision, says why, and takes the admin's next save", async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		const port = Number(new URL(service.url).port);
		const backup = mkdtempSync(join(tmpdir(), 'opp-backup-'));
		try {
			// Backed up at revision 1, the member signed in; then revision 2 is saved, and taken.
			await service.close();
			await stateWhere(sync, (state) => state.status === 'stale', 'stale while it is backed up');
			cpSync(dataDir, backup, { recursive: true });
			service = await startService({ clock, dataDir, port });
			scheduler.advance(await scheduler.pendingSleep());
			await stateWhere(sync, revisionIs(1), 'back in sync');
			admin = (await service.signIn(ADMIN.email)).access_token;
			assert.equal((await putPolicy(service.url, admin, validSettings.azureDeployment, '"1"')).status, 200);
			await stateWhere(sync, revisionIs(2), 'revision 2');

			// The disk is lost: the backup is restored, and the service knows revision 1 only.
			await service.close();
			await stateWhere(sync, (state) => state.status === 'stale', 'stale while it is restored');
			rmSync(dataDir, { recursive: true, force: true });
			cpSync(backup, dataDir, { recursive: true });
			chmodSync(dataDir, 0o700);
			service = await startService({ clock, dataDir, port });
			scheduler.advance(await scheduler.pendingSleep());
			const refused = await stateWhere(sync, (state) => state.status === 'error', 'the older revision refused');
			assert.equal(refused.policy?.document.revision, 2, 'revision 2 stays in force');
			assert.match(
				refused.status === 'error' ? refused.message : '',
				/revision 1 is older than revision 2, applied before \(the service's database may have been restored from an earlier backup: its next save reaches you\); revision 2 stays in force/,
			);
			await eventually('the service to note what the member holds', async () => (await service.policies.heldAhead('acme'))?.revision === 2);
			admin = (await service.signIn(ADMIN.email)).access_token;
			const saved = await putPolicy(service.url, admin, { ...validSettings.plainCompatible, adminContact: 'restored@acme.example' }, '"1"');
			assert.equal(((await jsonOf(saved)) as { policy: { revision: number } }).policy.revision, 3);
			const taken = await stateWhere(sync, revisionIs(3), 'the next save taken');
			assert.equal(taken.policy?.document.organization.adminContact, 'restored@acme.example');
		} finally {
			rmSync(backup, { recursive: true, force: true });
		}
	});

	it('after a 401 refreshes the token once and carries on', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		const oldAccess = sessions.session!.accessToken;
		// The member's clock runs behind the service's: the client still trusts a token the service has expired.
		const stored = JSON.parse((await secrets.get(SESSION_SECRET_KEY))!);
		await secrets.store(SESSION_SECRET_KEY, JSON.stringify({ ...stored, expiresAt: stored.expiresAt + 7200_000 }));
		await sessions.reload();
		clock.advance(3601_000);
		await sync.refreshNow(syncSession());
		assert.notEqual(sessions.session?.accessToken, oldAccess, 'a new access token was issued');
		assert.equal(sync.current.status, 'in-sync');
	});

	it('keeps the member signed in while the service cannot refresh their token (its database out of reach), and catches up after', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		const port = Number(new URL(service.url).port);
		await service.close();
		const outage = { now: false };
		service = await startService({ clock, dataDir, port, wrapStore: (store) => storeOutOfReach(store, outage) });
		outage.now = true;
		const first = sessions.session!.accessToken;
		// The access token comes due during the outage: its refresh is answered 503, which says nothing of the session.
		clock.advance(3550_000);
		const stale = await stateWhere(sync, (state) => state.status === 'stale', 'stale');
		scheduler.advance(await scheduler.pendingSleep());
		await eventually('a poll during the outage', () => sync.current.status === 'stale' && /database/.test(sync.current.reason));
		assert.equal(stale.policy?.document.revision, 1, 'the last good revision stays applied');
		assert.equal(sessions.session?.accessToken, first, 'the session is kept: not signed out');
		assert.equal((await secrets.keys()).length, 1);
		outage.now = false;
		scheduler.advance(await scheduler.pendingSleep());
		await stateWhere(sync, (state) => state.status === 'in-sync', 'in sync once the database is back');
		assert.notEqual(sessions.session?.accessToken, first, 'refreshed once the service could');
	});

	for (const { what, status, type, body, said } of [
		{
			what: 'a gateway rate-limits the refresh (429), though its body names an error',
			status: 429,
			type: 'application/json',
			body: JSON.stringify({ error: 'rate_limited', error_description: 'Too many requests from this address' }),
			said: /answered 429: Too many requests from this address$/,
		},
		{
			what: 'a network sign-in page answers the refresh with 200 and HTML',
			status: 200,
			type: 'text/html',
			body: '<html><body>Sign in to the guest network</body></html>',
			said: /answered 200 with a page \(text\/html\), not the policy service's answer/,
		},
	]) {
		it(`keeps the member signed in when ${what}`, async () => {
			const gateway = await startInTheWay({ status, type, body });
			const fetchThroughGateway = gateway.tokenEndpointFetch();
			const window = new SessionManager(secrets, () => ({ serverUrl: service.url, fetch: fetchThroughGateway }), scheduler);
			try {
				await window.reload();
				const first = window.session!.accessToken;
				clock.advance(3550_000);
				assert.equal(await window.accessToken(), first, 'the current token is used while the refresh waits');
				await assert.rejects(window.refresh(), { name: 'ServiceHttpError', status, message: said });
				assert.equal(window.session?.accessToken, first, 'not signed out');
				assert.equal((await secrets.keys()).length, 1, 'the sign-in stays in secret storage');
			} finally {
				window.dispose();
				await gateway.close();
			}
		});
	}

	it('refreshes an access token that is about to expire before using it', async () => {
		const first = sessions.session!.accessToken;
		clock.advance(3550_000);
		await sessions.accessToken();
		assert.notEqual(sessions.session!.accessToken, first);
	});

	it('when the member is removed: signed out, secrets cleared, and the locked policy stays (fail closed)', async () => {
		assert.equal((await putPolicy(service.url, admin, validSettings.azureDeployment, '"1"')).status, 200);
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(2), 'revision 2');
		const memberId = sessions.session!.account.id;
		const signedOut = new Promise<SessionChange>((resolve) => sessions.onDidChange((change) => !change.session && resolve(change)));
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/members/${memberId}`, { method: 'DELETE', headers: bearer(admin) })).status,
			204,
		);
		const state = await stateWhere(sync, (s) => s.status === 'signed-out', 'signed out');
		// The member is told what happened, in the service's words.
		const change = await signedOut;
		assert.equal(change.reason, 'revoked');
		assert.equal(change.detail, 'this account was removed from the organization');
		assert.equal(state.policy?.document.enabled, true);
		assert.equal(state.policy?.document.revision, 2);
		assert.equal(sessions.session, undefined);
		assert.deepEqual(secrets.keys(), []);
	});

	it('applies a verified cache at start-up, and ignores a tampered one', async () => {
		sync.start(syncSession());
		await stateWhere(sync, revisionIs(1), 'revision 1');
		sync.stop();
		const restarted = new PolicySync({ state: memento, secrets: syncSecrets }, scheduler);
		await restarted.restoreLastKnown();
		assert.equal(restarted.current.policy?.source, 'cached');
		assert.equal(restarted.current.policy?.document.revision, 1);

		const cached = await cachedPolicy<{ envelope: { policy: { enabled: boolean } }; receivedAt: number }>(syncSecrets);
		cached.envelope.policy.enabled = true;
		await setCachedPolicy(syncSecrets, cached);
		const tampered = new PolicySync({ state: memento, secrets: syncSecrets }, scheduler);
		await tampered.restoreLastKnown();
		assert.equal(tampered.current.policy, undefined, 'a tampered cache is not applied');
		restarted.dispose();
		tampered.dispose();
	});
});

describe('policy sync refuses bad policies and keeps the last good one', () => {
	const trustedKeys = generateSigningKeyPair();
	const foreignKeys = generateSigningKeyPair();
	const stampFor = (revision: number, org = { id: 'acme', name: 'Acme Corp' }) => ({
		organization: org,
		revision,
		updatedAt: '2026-11-26T10:00:00Z',
		updatedBy: 'admin@acme.example',
	});
	const good = (revision: number) =>
		signPolicy(
			buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), stampFor(revision)),
			trustedKeys.privateKeyPem,
		);

	let server: Server;
	let body: unknown;
	let url: string;
	let scheduler: ManualScheduler;
	let sync: PolicySync;
	const acks: number[] = [];

	beforeEach(async () => {
		// Speaks the service's protocol, without an event stream, so the client must poll.
		server = createServer((request, response) => {
			if (request.url === '/api/v1/policy') {
				response.writeHead(200, { 'content-type': 'application/json', etag: '"x"' });
				response.end(JSON.stringify(body));
			} else if (request.url === '/api/v1/policy/applied') {
				let raw = '';
				request
					.on('data', (chunk) => (raw += chunk))
					.on('end', () => {
						acks.push(JSON.parse(raw).revision);
						response.writeHead(204).end();
					});
			} else {
				response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
			}
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		scheduler = new ManualScheduler(new ManualClock(), false);
		sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, scheduler, { ackSpreadMs: 0 });
		body = good(1);
		acks.length = 0;
	});
	afterEach(async () => {
		sync.dispose();
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	});

	const session = (): SyncSession => ({
		connection: { serverUrl: url, fetch: globalThis.fetch },
		trust: { signingKey: trustedKeys.publicKey, organizationId: 'acme' },
		accessToken: async () => 'token',
		refresh: async () => false,
	});

	const badPolicies: [string, () => unknown, string][] = [
		['malformed', () => ({ policy: 'not an object', signature: 'x' }), 'malformed'],
		['unsigned', () => ({ policy: good(2).policy }), 'malformed'],
		[
			'wrongly signed',
			() => ({
				...good(2),
				signature: { ...good(2).signature, value: signPolicy(good(2).policy, foreignKeys.privateKeyPem).signature.value },
			}),
			'bad-signature',
		],
		[
			"another organization's",
			() =>
				signPolicy(
					buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), stampFor(2, { id: 'globex', name: 'Globex' })),
					trustedKeys.privateKeyPem,
				),
			'wrong-organization',
		],
	];
	for (const [name, make, reason] of badPolicies) {
		it(`refuses a ${name} policy once, polling on, with revision 1 in force`, async () => {
			const rejections: string[] = [];
			sync.onDidRejectPolicy((error) => rejections.push(error.reason));
			sync.start(session());
			await stateWhere(sync, revisionIs(1), 'revision 1');
			assert.equal(await scheduler.pendingSleep(), POLL_INTERVAL_MS, 'no event stream: the client polls');
			await eventually('the acknowledgement of revision 1', () => acks.length === 1);
			assert.deepEqual(acks, [1]);
			body = make();
			scheduler.advance(POLL_INTERVAL_MS);
			const refused = await stateWhere(sync, (state) => state.status === 'error', 'error');
			assert.equal(refused.policy?.document.revision, 1);
			assert.match(refused.status === 'error' ? refused.message : '', /revision 1 stays in force/);
			scheduler.advance(await scheduler.pendingSleep());
			scheduler.advance(await scheduler.pendingSleep());
			assert.deepEqual(rejections, [reason], 'the member hears about it once');
			assert.equal(sync.current.policy?.document.revision, 1);
			body = good(3);
			scheduler.advance(await scheduler.pendingSleep());
			await stateWhere(sync, revisionIs(3), 'revision 3 once a good policy returns');
		});
	}
});

describe('policy sync at start-up', () => {
	it("restores the last organization's cached policy before any sign-in, and drops it when another organization signs in", async () => {
		const keys = generateSigningKeyPair();
		const document = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), {
			organization: { id: 'acme', name: 'Acme Corp' },
			revision: 4,
			updatedAt: '2026-11-26T10:00:00Z',
			updatedBy: 'a@acme.example',
		});
		const memento = new MemoryKeyValueStore();
		const secrets = new MemorySecretStore();
		await setCachedPolicy(secrets, { envelope: JSON.parse(JSON.stringify(signPolicy(document, keys.privateKeyPem))), receivedAt: 1 });
		await secrets.store(
			'orgProviderPolicy.pin',
			JSON.stringify({ organizationId: 'acme', signingKey: keys.publicKey, highestRevision: 4 }),
		);
		const scheduler = new ManualScheduler(new ManualClock(), false);
		const sync = new PolicySync({ state: memento, secrets }, scheduler, { ackSpreadMs: 0 });
		try {
			await sync.restoreLastKnown();
			assert.equal(sync.current.policy?.document.revision, 4);
			assert.equal(sync.current.policy?.source, 'cached');
			assert.equal(sync.current.status, 'signed-out');
			sync.start({
				connection: { serverUrl: 'http://127.0.0.1:9', fetch: globalThis.fetch },
				trust: { signingKey: generateSigningKeyPair().publicKey, organizationId: 'globex' },
				accessToken: async () => 'token',
				refresh: async () => false,
			});
			assert.equal(sync.current.policy, undefined, "acme's policy does not apply to a globex member");
		} finally {
			sync.dispose();
		}
	});
});

describe('backoff delays', () => {
	it('stay within 1–30 s, grow exponentially, and spread with jitter', () => {
		for (let attempt = 0; attempt < 12; attempt++) {
			for (const random of [0, 0.25, 0.5, 0.999]) {
				const delay = backoffDelay(attempt, random);
				assert.ok(delay >= 1000 && delay <= 30_000, `attempt ${attempt}: ${delay}`);
			}
		}
		assert.equal(backoffDelay(0, 0.999), 1000);
		assert.equal(backoffDelay(3, 0), 4000);
		assert.equal(backoffDelay(3, 0.999), 7996);
		assert.equal(backoffDelay(10, 0.999), 29_985);
		assert.equal(backoffDelay(10, 0), 15_000);
	});
});
