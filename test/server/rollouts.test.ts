import assert from 'node:assert/strict';
import { SessionManager } from '../../src/extension/auth/session-manager';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { syncSessionFor } from '../../src/extension/sync/sync-session';
import { canaryBucket } from '../../src/server/policy/rollouts';
import { memberRecord } from '../support/records';
import { eventually, whenChanged } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import {
	ADMIN,
	approveDevice,
	bearer,
	EventReader,
	jsonOf,
	ManualClock,
	putPolicy,
	startService,
	type RunningService,
	createGroup,
} from '../support/service';

const NEXT = {
	...validSettings.plainCompatible,
	provider: { ...validSettings.plainCompatible.provider, baseUrl: 'https://llm-next.acme.example/v1' },
};

/**
 * Staged rollouts: a save reaches a canary first (a group, or a deterministic share of members);
 * Promote brings everyone; Roll back saves the previous revision again as a newer one, which
 * members accept.
 */
describe('staged rollouts', function () {
	this.timeout(60_000);
	let service: RunningService;
	let admin: string;
	let clock: ManualClock;

	beforeEach(async () => {
		clock = new ManualClock(Date.now());
		service = await startService({ clock });
		admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
	});
	afterEach(async () => service.close());

	const revisionServed = async (token: string) =>
		JSON.parse(await (await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token, { 'org-policy-schema': '3' }) })).text()).policy
			.revision as number;
	const call = async (method: string, path: string) => {
		const response = await fetch(`${service.url}/api/v1/admin${path}`, { method, headers: bearer(admin) });
		return { status: response.status, body: await jsonOf(response) };
	};

	it('sends a 10% rollout to exactly the deterministic tenth of 1,000 members; Promote reaches the rest, live', async () => {
		const members: { id: string; token: string }[] = [];
		for (let index = 0; index < 1000; index++) {
			const id = `member-${index.toString().padStart(4, '0')}`;
			const user = memberRecord(id);
			await service.store.createUser(user);
			members.push({ id, token: (await service.accounts.tokens.issue(user, 'vscode')).access_token });
		}
		const expected = new Set(members.filter((member) => canaryBucket('acme', member.id) < 10).map((member) => member.id));
		assert.ok(expected.size > 60 && expected.size < 140, `${expected.size} of 1,000 in the canary`);
		const outside = members.find((member) => !expected.has(member.id))!;
		const stream = new EventReader(await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(outside.token) }));
		assert.equal((await stream.next())?.id, '2');

		const saved = await fetch(`${service.url}/api/v1/admin/policy?rollout=percent:10`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify(NEXT),
		});
		assert.equal(saved.status, 200, await saved.clone().text());
		const served = new Map<string, number>();
		for (const member of members) {
			served.set(member.id, await revisionServed(member.token));
		}
		assert.deepEqual(new Set(members.filter((member) => served.get(member.id) === 3).map((member) => member.id)), expected);
		assert.ok(members.every((member) => served.get(member.id) === (expected.has(member.id) ? 3 : 2)));

		const refused = await putPolicy(service.url, admin, validSettings.azureV1, '"3"');
		assert.equal(refused.status, 409);
		assert.match(
			(await jsonOf(refused)).message,
			/revision 3 is still rolling out to its canary: promote it to everyone or roll it back first/,
		);
		const status = await call('GET', '/rollout');
		// Everyone in the organization counts, the admin too (whose id, made at start, may fall in the canary).
		const everyone = await service.store.listUsers('acme');
		const inCanaryCount = everyone.filter((user) => canaryBucket('acme', user.id) < 10).length;
		assert.deepEqual(
			[status.body.revision, status.body.stable, status.body.canary, status.body.canaryMembers.members],
			[3, 2, { percent: 10 }, inCanaryCount],
		);
		assert.ok(inCanaryCount - expected.size <= 1);

		assert.deepEqual((await call('POST', '/rollout/promote')).body, { revision: 3 });
		assert.equal((await stream.next())?.id, '3', 'the rest get it on their open streams');
		assert.equal(await revisionServed(outside.token), 3);
		assert.equal((await call('POST', '/rollout/promote')).status, 404, 'nothing rolls out any more');
		const activity = await service.store.audit.listAudit('acme', { limit: 10 });
		// Both at the same instant of the test's clock: compared as a set, not in order.
		assert.deepEqual(
			activity
				.filter((event) => event.action.startsWith('policy.rollout'))
				.map((event) => event.action)
				.sort(),
			['policy.rollout_promoted', 'policy.rollout_started'],
		);
	});

	/** A member's own PolicySync, signed in through the device flow, as their VS Code runs it. */
	const memberSync = async (member: { email: string; password: string }) => {
		// The member's scheduler moves the service's clock: the device flow's polling is then never too fast for it.
		const scheduler = new ManualScheduler(clock, true);
		const sessions = new SessionManager(new MemorySecretStore(), () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		await sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, member.email, member.password) },
			new AbortController().signal,
		);
		scheduler.autoAdvance = false;
		const sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, scheduler, { ackSpreadMs: 0 });
		const rejected: string[] = [];
		sync.onDidRejectPolicy((error) => rejected.push(error.message));
		const session = syncSessionFor(sessions, { serverUrl: service.url, fetch: globalThis.fetch })!;
		sync.start(session);
		return {
			sync,
			session,
			rejected,
			reaches: (revision: number, what: string) =>
				whenChanged(
					() => sync.current,
					sync.onDidChangeState,
					(state: SyncState) => state.status === 'in-sync' && state.policy?.document.revision === revision,
					what,
				),
			dispose: () => {
				sync.dispose();
				sessions.dispose();
			},
		};
	};

	it('rolls a group canary back as a newer revision, which the canary member’s PolicySync accepts', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		await createGroup(service.url, admin, 'Pilots', [member.email]);
		const { rejected, reaches, dispose } = await memberSync(member);
		try {
			await reaches(2, 'revision 2');
			const saved = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:pilots`, {
				method: 'PUT',
				headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
				body: JSON.stringify(NEXT),
			});
			assert.equal(saved.status, 200);
			const canary = await reaches(3, 'the canary revision');
			assert.equal(canary.policy?.document.provider?.baseUrl, 'https://llm-next.acme.example/v1');

			assert.deepEqual((await call('POST', '/rollout/rollback')).body, { revision: 4 });
			const back = await reaches(4, 'the rollback, as revision 4');
			assert.equal(back.policy?.document.provider?.baseUrl, validSettings.plainCompatible.provider.baseUrl);
			assert.deepEqual(rejected, [], 'not taken for a rollback attack');
			const activity = await service.store.audit.listAudit('acme', { limit: 10 });
			assert.ok(
				activity.some((event) => event.action === 'policy.rolled_back' && event.detail.restored === '2' && event.detail.as === '4'),
			);
		} finally {
			dispose();
		}
	});

	it('keeps a member who leaves the canary on its revision, brings one who joins it the revision live, and never sends it to anyone else whose groups change', async () => {
		const [pilot, joiner, other] = await Promise.all(
			['pilot', 'joiner', 'other'].map((name) => service.addUser(`${name}@acme.example`, 'member')),
		);
		const pilots = await createGroup(service.url, admin, 'Pilots', [pilot.email]);
		const research = await createGroup(service.url, admin, 'Research', []);
		const openStream = async (email: string) => {
			const token = (await service.signIn(email)).access_token;
			const stream = new EventReader(
				await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(token, { 'org-policy-schema': '3' }) }),
			);
			assert.equal((await stream.next())?.id, '2');
			return stream;
		};
		/** The next policy event on a stream (heartbeats skipped): its revision and the overlays applied. */
		const nextPolicy = async (stream: EventReader) => {
			for (let event = await stream.next(); event; event = await stream.next()) {
				if (event.event === 'policy') {
					const { policy } = JSON.parse(event.data!) as { policy: { revision: number; appliedOverlays?: string[] } };
					return { revision: policy.revision, appliedOverlays: policy.appliedOverlays ?? [] };
				}
			}
			return undefined;
		};
		const changeGroup = async (id: string, change: { add?: string[]; remove?: string[] }) => {
			const changed = await fetch(`${service.url}/api/v1/admin/groups/${id}`, {
				method: 'PATCH',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify(change),
			});
			assert.equal(changed.status, 200, await changed.clone().text());
		};
		const streams = { joiner: await openStream(joiner.email), other: await openStream(other.email) };
		const member = await memberSync(pilot);
		try {
			await member.reaches(2, 'revision 2');
			// The canary's revision gives Research its own header: a change that shows whose document it is.
			const saved = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
				method: 'PUT',
				headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
				body: JSON.stringify({ ...NEXT, overlays: [{ group: 'Research', headers: { 'X-Team': 'research' } }] }),
			});
			assert.equal(saved.status, 200, await saved.clone().text());
			await member.reaches(3, 'the canary revision');

			// Outside the canary, a member whose groups change is served the stable revision's document (unchanged here).
			await changeGroup(research.id, { add: [other.email] });
			// Joining the canary's group brings its revision at once, on the open stream.
			await changeGroup(pilots.id, { add: [joiner.email] });
			assert.deepEqual(await nextPolicy(streams.joiner), { revision: 3, appliedOverlays: [] });

			// Leaving it, the pilot keeps revision 3: their VS Code would refuse revision 2 as older, on every fetch until the rollout ends.
			await eventually('the pilot reports applying revision 3', async () => {
				const { members } = (await call('GET', '/members')).body as { members: { email: string; appliedRevision: number | null }[] };
				return members.find((each) => each.email === pilot.email)?.appliedRevision === 3;
			});
			await changeGroup(pilots.id, { remove: [pilot.email] });
			await member.sync.refreshNow(member.session);
			assert.equal(member.sync.current.status, 'in-sync', JSON.stringify(member.sync.current));
			assert.equal(member.sync.current.policy?.document.revision, 3);
			assert.deepEqual(member.rejected, []);
			const { members } = (await call('GET', '/members')).body as { members: { email: string; sync: string }[] };
			assert.equal(members.find((each) => each.email === pilot.email)?.sync, 'in sync');
			const placement = await jsonOf(
				await fetch(`${service.url}/api/v1/policy/placement`, { headers: bearer((await service.signIn(pilot.email)).access_token) }),
			);
			assert.deepEqual(placement, {
				revision: 3,
				groups: [],
				appliedOverlays: [],
				rollout: { revision: 3, stable: 2, canary: 'group Pilots', inCanary: true },
			});
			const status = (await call('GET', '/rollout')).body as { canaryMembers: { members: number; applied: number } };
			assert.deepEqual(status.canaryMembers, { ...status.canaryMembers, members: 2, applied: 1 }, 'the pilot still counts with the canary');

			// The next thing the member outside the canary receives is the rollback, not the canary's revision.
			assert.deepEqual((await call('POST', '/rollout/rollback')).body, { revision: 4 });
			assert.deepEqual(await nextPolicy(streams.other), { revision: 4, appliedOverlays: [] });
			await member.reaches(4, 'the rollback');
		} finally {
			member.dispose();
		}
	});

	it('refuses a canary group that does not exist, naming the groups there are, and saves nothing', async () => {
		await createGroup(service.url, admin, 'Pilots', []);
		const typo = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilotz`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify(NEXT),
		});
		const refusal = await jsonOf(typo);
		assert.deepEqual(
			[typo.status, refusal.message, refusal.fieldErrors?.[0]?.path],
			[400, 'rollout: no group is named "Pilotz" (the groups are Pilots)', 'rollout'],
		);
		assert.equal((await service.policies.current('acme'))?.revision, 2, 'nothing saved');
		assert.equal((await call('GET', '/rollout')).status, 404, 'no rollout started: other saves are not held back');
		// In any case, as the group's name is unique whatever its case: the rollout names it as the organization spells it.
		const saved = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:PILOTS`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify(NEXT),
		});
		assert.equal(saved.status, 200);
		assert.deepEqual(((await call('GET', '/rollout')).body as { canary: unknown }).canary, { group: 'Pilots' });
	});

	it('tells each member where they stand (their groups, the rollout, whether they are in its canary) and counts a member on the stable revision as in sync', async () => {
		const pilot = await service.addUser('pilot@acme.example', 'member');
		const other = await service.addUser('other@acme.example', 'member');
		await createGroup(service.url, admin, 'Pilots', [pilot.email]);
		const tokens = {
			pilot: (await service.signIn(pilot.email)).access_token,
			other: (await service.signIn(other.email)).access_token,
		};
		const placement = async (token: string) => jsonOf(await fetch(`${service.url}/api/v1/policy/placement`, { headers: bearer(token) }));
		assert.deepEqual(await placement(tokens.other), { revision: 2, groups: [], appliedOverlays: [], rollout: null });

		const saved = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify(NEXT),
		});
		assert.equal(saved.status, 200);
		assert.deepEqual(await placement(tokens.pilot), {
			revision: 3,
			groups: ['Pilots'],
			appliedOverlays: [],
			rollout: { revision: 3, stable: 2, canary: 'group Pilots', inCanary: true },
		});
		assert.deepEqual(await placement(tokens.other), {
			revision: 2,
			groups: [],
			appliedOverlays: [],
			rollout: { revision: 3, stable: 2, canary: 'group Pilots', inCanary: false },
		});
		// The admin's view of what each is served says the same.
		const effective = async (email: string) => (await call('GET', `/policy/effective?member=${email}`)).body as { revision: number };
		assert.deepEqual([(await effective(pilot.email)).revision, (await effective(other.email)).revision], [3, 2]);
		const ofGroup = async (group: string) => (await call('GET', `/policy/effective?group=${group}`)).body as { revision: number };
		assert.deepEqual([(await ofGroup('PILOTS')).revision, (await ofGroup('Research')).revision], [3, 2]);
		const noToken = await fetch(`${service.url}/api/v1/policy/placement`);
		assert.equal(noToken.status, 401);

		// Each applies what they are served: both are in sync, though only one has the newest revision.
		for (const [token, revision] of [
			[tokens.pilot, 3],
			[tokens.other, 2],
		] as const) {
			const applied = await fetch(`${service.url}/api/v1/policy/applied`, {
				method: 'POST',
				headers: bearer(token, { 'content-type': 'application/json' }),
				body: JSON.stringify({ revision }),
			});
			assert.equal(applied.status, 204);
		}
		const { members } = (await call('GET', '/members')).body as { members: { email: string; sync: string; appliedRevision: number }[] };
		const syncOf = (email: string) => members.find((member) => member.email === email);
		assert.deepEqual(
			[syncOf(pilot.email), syncOf(other.email)].map((member) => [member?.appliedRevision, member?.sync]),
			[
				[3, 'in sync'],
				[2, 'in sync'],
			],
		);
		assert.equal((await call('POST', '/rollout/promote')).status, 200);
		const promoted = (await call('GET', '/members')).body as { members: { email: string; sync: string }[] };
		assert.equal(promoted.members.find((member) => member.email === other.email)?.sync, 'behind', 'after Promote, revision 2 is behind');
		assert.equal((await placement(tokens.other)).rollout, null);
	});
});
