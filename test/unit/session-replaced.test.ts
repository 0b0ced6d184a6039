import assert from 'node:assert/strict';
import { SessionManager, SESSION_SECRET_KEY } from '../../src/extension/auth/session-manager';
import type { SecretStore } from '../../src/extension/base/storage';
import { CLIENT_ID } from '../../src/policy';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemorySecretStore } from '../support/memory-storage';
import { ADMIN, approveDevice, bearer, ManualClock, startService, type RunningService } from '../support/service';

const MEMBER = 'dev@acme.example';
const PASSWORD = `pw-${MEMBER}-long-enough`;

/**
 * Another window of the same VS Code profile: it shares the secret, but has not yet heard that it
 * changed (VS Code tells every window, a moment later).
 */
function notYetHearing(shared: SecretStore): SecretStore {
	return {
		get: (key) => shared.get(key),
		store: (key, value) => shared.store(key, value),
		delete: (key) => shared.delete(key),
		onDidChange: () => ({ dispose: () => undefined }),
	};
}

/** A member signing in again on a machine already signed in (the Sign In command, a sign-in link, another account). */
describe('signing in again on the same machine', () => {
	let clock: ManualClock;
	let service: RunningService;
	let secrets: MemorySecretStore;
	let windows: SessionManager[];

	const connection = () => ({ serverUrl: service.url, fetch: globalThis.fetch });
	const window = (store: SecretStore = secrets) => {
		const sessions = new SessionManager(store, connection, new ManualScheduler(clock, true));
		windows.push(sessions);
		return sessions;
	};
	const signIn = (sessions: SessionManager) =>
		sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, MEMBER, PASSWORD) },
			new AbortController().signal,
		);
	/** Whether the service still honours a refresh token (a refresh spends it, so only for ones already ended). */
	const refreshStatus = async (refreshToken: string) =>
		(
			await fetch(`${service.url}/oauth/token`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
			})
		).status;
	/** What a member's VS Code reports after applying revision 1 (it is what makes a machine listed). */
	const reportApplied = async (accessToken: string) =>
		(
			await fetch(`${service.url}/api/v1/policy/applied`, {
				method: 'POST',
				headers: bearer(accessToken, { 'content-type': 'application/json' }),
				body: JSON.stringify({ revision: 1 }),
			})
		).status;

	beforeEach(async () => {
		clock = new ManualClock();
		service = await startService({ clock });
		await service.addUser(MEMBER, 'member');
		secrets = new MemorySecretStore();
		windows = [];
	});
	afterEach(async () => {
		windows.forEach((sessions) => sessions.dispose());
		await service.close();
	});

	it('ends the sign-in it replaces at the service, so the Members page lists this machine once', async () => {
		const sessions = window();
		const replaced = await signIn(sessions);
		assert.equal(await reportApplied(replaced.accessToken), 204);
		const replacement = await signIn(sessions);
		assert.equal(await reportApplied(replacement.accessToken), 204);

		assert.equal(await refreshStatus(replaced.refreshToken), 400, 'the replaced sign-in ended at its service');
		const admin = await service.signIn(ADMIN.email);
		const listed = (await (await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin.access_token) })).json()) as {
			members: { email: string; signIns?: unknown[] }[];
		};
		assert.equal(listed.members.find((member) => member.email === MEMBER)?.signIns?.length, 1, 'one machine, not a stale second');
	});

	it('keeps the new sign-in when another window, not yet told of it, has its refresh of the replaced one refused', async () => {
		const here = window();
		const replaced = await signIn(here);
		const there = window(notYetHearing(secrets));
		assert.equal((await there.reload())?.refreshToken, replaced.refreshToken);

		const replacement = await signIn(here);
		// The other window still holds the replaced sign-in; the service refuses its refresh.
		assert.equal(there.session?.refreshToken, replaced.refreshToken);
		assert.equal(await there.refresh(), true, 'a token is ready: the new sign-in');
		assert.equal(there.session?.refreshToken, replacement.refreshToken);
		assert.equal(JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}').refreshToken, replacement.refreshToken, 'not deleted');
		assert.equal(here.session?.refreshToken, replacement.refreshToken, 'this window stays signed in');
	});

	it('signs out when the refused sign-in is still the stored one', async () => {
		const here = window();
		const session = await signIn(here);
		const admin = await service.signIn(ADMIN.email);
		const members = (await (await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin.access_token) })).json()) as {
			members: { id: string; email: string }[];
		};
		const id = members.members.find((member) => member.email === MEMBER)?.id;
		const ended = await fetch(`${service.url}/api/v1/admin/members/${id}/sign-out`, {
			method: 'POST',
			headers: bearer(admin.access_token),
		});
		assert.equal(ended.status, 204);
		assert.equal(await here.refresh(), false);
		assert.equal(here.session, undefined);
		assert.equal(await secrets.get(SESSION_SECRET_KEY), undefined);
		assert.equal(await refreshStatus(session.refreshToken), 400);
	});
});
