import assert from 'node:assert/strict';
import { SessionManager, type SessionChange, type StoredSession } from '../../src/extension/auth/session-manager';
import { Emitter } from '../../src/extension/base/disposable';
import { CLIENT_ID } from '../../src/policy';
import { syncSessionFor } from '../../src/extension/sync/sync-session';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemorySecretStore } from '../support/memory-storage';
import { approveDevice, bearer, ManualClock, startService, type RunningService } from '../support/service';

const MEMBER = 'dev@acme.example';
const PASSWORD = `pw-${MEMBER}-long-enough`;

/** What reached a service: where, and every token-like string the request carried. */
interface Sent {
	readonly url: string;
	readonly carried: string;
}

/**
 * A member whose policy service address changes (they edited it, IT's file changed): the sign-in
 * the first service issued must never reach the second, and must still be ended where it came from.
 */
describe('a sign-in is used only with the service that issued it', () => {
	let clock: ManualClock;
	let first: RunningService;
	let second: RunningService;
	let configured: string;
	let sent: Sent[];
	let serverChanges: Emitter<void>;
	let sessions: SessionManager;
	let changes: SessionChange[];

	const recordingFetch: typeof fetch = async (input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		const headers = new Headers(init?.headers);
		sent.push({
			url,
			carried: `${headers.get('authorization') ?? ''} ${typeof init?.body === 'string' ? init.body : String(init?.body ?? '')}`,
		});
		return fetch(input, init);
	};
	const connection = () => ({ serverUrl: configured, fetch: recordingFetch });
	const moveTo = (serverUrl: string) => {
		configured = serverUrl;
		serverChanges.fire();
	};
	const signIn = (service: RunningService) =>
		sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, MEMBER, PASSWORD) },
			new AbortController().signal,
		);
	/** Whether the issuing service still honours a refresh token (a refresh spends it, so only for ones already ended). */
	const refreshStatus = async (service: RunningService, refreshToken: string) =>
		(
			await fetch(`${service.url}/oauth/token`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
			})
		).status;

	beforeEach(async () => {
		clock = new ManualClock();
		first = await startService({ clock });
		second = await startService({ clock });
		await first.addUser(MEMBER, 'member');
		await second.addUser(MEMBER, 'member');
		configured = first.url;
		sent = [];
		serverChanges = new Emitter<void>();
		sessions = new SessionManager(new MemorySecretStore(), connection, new ManualScheduler(clock, true), serverChanges.event);
		await signIn(first);
		changes = [];
		sessions.onDidChange((change) => changes.push(change));
	});
	afterEach(async () => {
		sessions.dispose();
		serverChanges.dispose();
		await Promise.all([first.close(), second.close()]);
	});

	it('sends none of its tokens to the service the address moved to, and is in use again when the address comes back', async () => {
		const issued = sessions.session!;
		sent = [];
		moveTo(second.url);
		assert.equal(sessions.session, undefined, 'not signed in to the configured service');
		assert.deepEqual(
			changes.map((change) => [change.session?.serverUrl, change.reason]),
			[[undefined, 'other-service']],
			'listeners are told why, so the sync stops and the member is asked to sign in there',
		);
		assert.equal(sessions.signedInElsewhere, first.url, 'the sign-in kept, for the service that issued it');
		assert.equal(await sessions.accessToken(), undefined);
		assert.equal(await sessions.refresh(), false);
		assert.equal(syncSessionFor(sessions, connection()), undefined, 'no sync session for the new service');
		assert.deepEqual(sent, [], 'nothing was sent anywhere');

		// The same service, written with a trailing slash and another case: the sign-in is its own again.
		moveTo(`${first.url.toUpperCase().replace('HTTP://', 'http://')}/`);
		const inUse: () => StoredSession | undefined = () => sessions.session;
		assert.equal(inUse()?.accessToken, issued.accessToken);
		assert.deepEqual(
			changes.map((change) => change.session?.serverUrl),
			[undefined, first.url],
		);
		assert.equal(sessions.signedInElsewhere, undefined);
		const token = await sessions.accessToken();
		assert.equal((await fetch(`${first.url}/api/v1/policy`, { headers: bearer(token!) })).status, 200);
	});

	it('signing in to the new service ends the old sign-in at its own service, and only there', async () => {
		const issued = sessions.session!;
		moveTo(second.url);
		sent = [];
		const replacement = await signIn(second);
		assert.equal(replacement.serverUrl, second.url);
		assert.equal(sessions.session?.accessToken, replacement.accessToken);
		const revocations = sent.filter((request) => request.url.endsWith('/oauth/revoke'));
		assert.deepEqual(
			revocations.map((request) => request.url),
			[`${first.url}/oauth/revoke`],
		);
		assert.ok(
			sent.filter((request) => request.url.startsWith(second.url)).every((request) => !request.carried.includes(issued.refreshToken)),
			"the first service's refresh token never reached the second",
		);
		assert.equal(await refreshStatus(first, issued.refreshToken), 400, 'the first sign-in ended at its service');
	});

	it('signing out while another service is configured revokes at the issuer, sending the second nothing', async () => {
		const issued = sessions.session!;
		moveTo(second.url);
		sent = [];
		await sessions.signOut('user');
		assert.deepEqual(
			sent.map((request) => request.url),
			[`${first.url}/oauth/revoke`],
		);
		assert.equal(await refreshStatus(first, issued.refreshToken), 400);
		moveTo(first.url);
		assert.equal(sessions.session, undefined, 'signed out for good, not only set aside');
	});
});
