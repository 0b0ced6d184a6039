import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestBrowser } from '../support/sso-browser';
import { eventually } from '../support/eventually';
import {
	ADMIN,
	bearer,
	createGroup,
	EventReader,
	jsonOf,
	ManualClock,
	putPolicy,
	startService,
	type RunningService,
} from '../support/service';

const DAY = 86_400_000;

/** Admin API tokens: made by a signed-in admin, expiring, listed with their last use, revoked at once. */
describe('admin API tokens', () => {
	let service: RunningService;
	let clock: ManualClock;
	let admin: string;

	beforeEach(async () => {
		clock = new ManualClock(Date.parse('2026-12-04T10:00:00Z'));
		service = await startService({ clock });
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => service.close());

	const make = (token: string, body: unknown) =>
		fetch(`${service.url}/api/v1/admin/tokens`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': 'application/json' }),
			body: JSON.stringify(body),
		});
	const list = async (token = admin) => {
		const response = await fetch(`${service.url}/api/v1/admin/tokens`, { headers: bearer(token) });
		assert.equal(response.status, 200);
		return (await jsonOf(response)).tokens as {
			id: string;
			label: string;
			createdBy: string;
			expiresAt: string | null;
			lastUsedAt: string | null;
			state: string;
		}[];
	};
	const members = (token: string) => fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(token) });
	const revoke = (token: string, id: string) =>
		fetch(`${service.url}/api/v1/admin/tokens/${id}`, { method: 'DELETE', headers: bearer(token) });

	it('lasts 90 days unless its maker says otherwise, and stops opening the admin API when it expires', async () => {
		const made = await make(admin, { label: 'policy pipeline' });
		assert.equal(made.status, 201);
		const { token, id, expiresAt, createdBy, state } = await jsonOf(made);
		assert.match(token, /^opp_admin_/);
		assert.equal(expiresAt, '2027-03-04T10:00:00.000Z');
		assert.equal(createdBy, ADMIN.email);
		assert.equal(state, 'active');
		// Every answer to the token says when it ends, so automation can warn before it breaks.
		const used = await members(token);
		assert.equal(used.status, 200);
		assert.equal(used.headers.get('org-policy-token-expires'), expiresAt);
		assert.equal((await members(admin)).headers.get('org-policy-token-expires'), null, 'a signed-in admin has no such header');

		clock.advance(90 * DAY - 1000);
		assert.equal((await members(token)).status, 200);
		clock.advance(2000);
		const refused = await members(token);
		assert.equal(refused.status, 401);
		admin = (await service.signIn(ADMIN.email)).access_token;
		assert.deepEqual(
			(await list()).map((entry) => [entry.id, entry.state]),
			[[id, 'expired']],
		);
	});

	it('takes a lifetime in days, or null for a token that never expires; bad values are named and nothing is made', async () => {
		const week = await jsonOf(await make(admin, { label: 'one week', expiresInDays: 7 }));
		assert.equal(week.expiresAt, '2026-12-11T10:00:00.000Z');
		clock.advance(1000);
		const forever = await jsonOf(await make(admin, { label: 'forever', expiresInDays: null }));
		assert.equal(forever.expiresAt, null);
		clock.advance(4000 * DAY);
		assert.equal((await members(forever.token)).status, 200);
		admin = (await service.signIn(ADMIN.email)).access_token;

		for (const [body, field, message] of [
			[{ label: '   ' }, 'label', /is required/],
			[{ label: 'x'.repeat(101) }, 'label', /at most 100/],
			[{ label: 'ci', expiresInDays: 0 }, 'expiresInDays', /at least 1 day/],
			[{ label: 'ci', expiresInDays: 400 }, 'expiresInDays', /at most 366 days/],
			[{ label: 'ci', expiresInDays: 1.5 }, 'expiresInDays', /whole number/],
			[{ label: 'ci', expiresInDays: '30' }, 'expiresInDays', /whole number of days/],
			[{ label: 'ci', scopes: ['all'] }, '', /scopes/],
		] as const) {
			const response = await make(admin, body);
			assert.equal(response.status, 400, JSON.stringify(body));
			const answer = await jsonOf(response);
			assert.match(answer.message, new RegExp(field ? `${field}: ` : 'scopes'), JSON.stringify(answer));
			assert.match(answer.message, message);
		}
		assert.deepEqual(
			(await list()).map((entry) => entry.label),
			['forever', 'one week'],
		);
	});

	it("refuses a second live token of one maker with the same label; another admin's may share it", async () => {
		assert.equal((await make(admin, { label: 'Policy pipeline' })).status, 201);
		const again = await make(admin, { label: ' policy PIPELINE ' });
		assert.equal(again.status, 409);
		assert.deepEqual((await jsonOf(again)).fieldErrors, [
			{
				path: 'label',
				message: 'you have a token labelled "policy PIPELINE" already: choose another label, or revoke that one first',
			},
		]);
		assert.equal((await list()).length, 1, 'nothing was made');
		const other = await service.addUser('second-admin@acme.example', 'admin');
		assert.equal((await make((await service.signIn(other.email)).access_token, { label: 'policy pipeline' })).status, 201);
		// Revoked, the label is free again.
		const own = (await list()).find((token) => token.createdBy === ADMIN.email);
		assert.equal((await revoke(admin, own!.id)).status, 204);
		assert.equal((await make(admin, { label: 'policy pipeline' })).status, 201);
	});

	it('is revoked at once by any admin, even moments after it was used', async () => {
		const { token, id } = await jsonOf(await make(admin, { label: 'leaked', expiresInDays: 30 }));
		assert.equal((await members(token)).status, 200, 'resolved, and remembered for a few seconds');
		const other = await service.addUser('second-admin@acme.example', 'admin');
		const secondAdmin = (await service.signIn(other.email)).access_token;
		const revoked = await revoke(secondAdmin, id);
		assert.equal(revoked.status, 204);
		const refused = await members(token);
		assert.equal(refused.status, 401);
		assert.equal((await putPolicy(service.url, token, { enabled: false }, '*')).status, 401);
		assert.deepEqual(await list(), []);
		assert.equal((await revoke(admin, id)).status, 404);
		assert.match((await jsonOf(await revoke(admin, 'no-such-token'))).message, /no admin API token no-such-token/);

		const events = await service.store.audit.listAudit('acme', { limit: 20 });
		const revocation = events.find((event) => event.action === 'admin_token.revoked');
		assert.deepEqual(revocation && { actor: revocation.actor, detail: revocation.detail }, {
			actor: other.email,
			detail: { label: 'leaked', id, createdBy: ADMIN.email },
		});
	});

	it('is named in what it did: the activity list and the revision history say which token, not only its maker', async () => {
		const { token, id } = await jsonOf(await make(admin, { label: 'policy pipeline', expiresInDays: 30 }));
		const byToken = `${ADMIN.email} (API token "policy pipeline", id ${id})`;
		assert.equal((await putPolicy(service.url, token, { enabled: false }, '"1"')).status, 200);
		await createGroup(service.url, token, 'Research', []);
		const dev = await service.addUser('dev@acme.example', 'member');
		const removed = await fetch(`${service.url}/api/v1/admin/members/${dev.id}`, { method: 'DELETE', headers: bearer(token) });
		assert.equal(removed.status, 204);
		// The same done signed in names the admin alone.
		await createGroup(service.url, admin, 'Design', []);

		const events = await service.store.audit.listAudit('acme', { limit: 20 });
		const actorOf = (action: string, group?: string) =>
			events.find((event) => event.action === action && (group === undefined || event.detail.group === group))?.actor;
		assert.equal(actorOf('group.created', 'Research'), byToken);
		assert.equal(actorOf('member.removed'), byToken);
		assert.equal(actorOf('group.created', 'Design'), ADMIN.email);
		const history = await jsonOf(await fetch(`${service.url}/api/v1/admin/policy/revisions`, { headers: bearer(admin) }));
		assert.equal((history.revisions as { revision: number; updatedBy: string }[]).find((each) => each.revision === 2)?.updatedBy, byToken);
		// Members read the same name in the document they are served.
		const served = await jsonOf(
			await fetch(`${service.url}/api/v1/policy`, { headers: bearer((await service.signIn(ADMIN.email)).access_token) }),
		);
		assert.equal(served.policy.updatedBy, byToken);
		// A pipeline that retires its own token is named as that token too.
		assert.equal((await revoke(token, id)).status, 204);
		const revoked = (await service.store.audit.listAudit('acme', { limit: 5, actions: ['admin_token.revoked'] }))[0];
		assert.equal(revoked?.actor, byToken);

		// Its successor may take the same label, and keeps a history of its own: what one did is never the other's.
		const successor = await jsonOf(await make(admin, { label: 'policy pipeline', expiresInDays: 30 }));
		assert.notEqual(successor.id, id);
		await createGroup(service.url, successor.token, 'Successors', []);
		const bySuccessor = `${ADMIN.email} (API token "policy pipeline", id ${successor.id})`;
		const read = async (actor: string) =>
			(await jsonOf(await fetch(`${service.url}/api/v1/admin/activity?actor=${encodeURIComponent(actor)}`, { headers: bearer(admin) })))
				.events as { action: string; detail: { group?: string } }[];
		assert.deepEqual(
			(await read(bySuccessor)).map((event) => `${event.action} ${event.detail.group ?? ''}`.trim()),
			['group.created Successors'],
		);
		assert.deepEqual((await read(byToken)).map((event) => event.action).sort(), ['admin_token.revoked', 'group.created', 'member.removed']);
	});

	it('keeps an event stream open for as long as the token lives, past the 24.8 days a timer can hold', async () => {
		const beating = await startService({ clock, heartbeatSeconds: 1 });
		try {
			const signedIn = (await beating.signIn(ADMIN.email)).access_token;
			const made = await fetch(`${beating.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(signedIn, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'watcher' }),
			});
			const stream = await fetch(`${beating.url}/api/v1/policy/events`, { headers: bearer((await jsonOf(made)).token) });
			assert.equal(stream.status, 200);
			const events = new EventReader(stream);
			assert.equal((await events.next())?.event, 'policy');
			// Its 90 days would overflow the expiry timer, which then ended the stream at once as "expired".
			assert.deepEqual(await events.next(3000), { comment: 'heartbeat' });
			await events.cancel();
		} finally {
			await beating.close();
		}
	});

	it("cannot report for its maker's VS Code (applied revision, usage, settings), nor can a console session; their VS Code can", async () => {
		const { token } = await jsonOf(await make(admin, { label: 'pipeline' }));
		const browser = new TestBrowser();
		await browser.submit(`${service.url}/console/login`, '/console/login', { email: ADMIN.email, password: ADMIN.password });
		const { csrfToken } = await jsonOf(await browser.request(`${service.url}/console/session`));
		const reports: [string, unknown][] = [
			['/api/v1/policy/applied', { revision: 1 }],
			['/api/v1/usage', { batchId: randomUUID(), buckets: [], droppedRequests: 0 }],
			['/api/v1/policy/vscode-settings', { supported: true, utilityModel: null, utilitySmallModel: null }],
		];
		for (const [path, body] of reports) {
			const json = { 'content-type': 'application/json' };
			const byToken = await fetch(`${service.url}${path}`, { method: 'POST', headers: bearer(token, json), body: JSON.stringify(body) });
			assert.equal(byToken.status, 403, path);
			assert.match((await jsonOf(byToken)).message, /^only a member's VS Code reports this/);
			const bySession = await browser.request(`${service.url}${path}`, {
				method: 'POST',
				headers: { ...json, 'x-csrf-token': csrfToken },
				body: JSON.stringify(body),
			});
			assert.equal(bySession.status, 403, `${path} from the console`);
			const byVsCode = await fetch(`${service.url}${path}`, { method: 'POST', headers: bearer(admin, json), body: JSON.stringify(body) });
			assert.ok(byVsCode.ok, `${path}: ${byVsCode.status}`);
		}
		// Reading stays open to the token: a script may check what members are served. What it says it
		// holds is not a member's revision (as after a restored backup).
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token, { 'if-none-match': '"7"' }) })).status, 200);
		const watching = await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(token, { 'last-event-id': '9' }) });
		assert.equal(watching.status, 200);
		await watching.body?.cancel();
		const policy = await fetch(`${service.url}/api/v1/admin/policy`, { headers: bearer(admin) });
		assert.equal(policy.headers.get('org-policy-held-ahead'), null, 'no member holds revision 7 or 9');
	});

	it('notes when a token was last used, at most once a minute', async () => {
		const { token } = await jsonOf(await make(admin, { label: 'nightly' }));
		assert.equal((await list())[0]!.lastUsedAt, null);
		// The note is written beside the request, not before its answer: read until it lands.
		const lastUsedBecomes = (iso: string) => eventually(`last use ${iso}`, async () => (await list())[0]!.lastUsedAt === iso);
		clock.advance(60_000);
		await members(token);
		const first = new Date(clock.now()).toISOString();
		await lastUsedBecomes(first);
		// Ten seconds on, the token is read from the store again (its cache lasts 5 s), but the note stands.
		clock.advance(10_000);
		await members(token);
		assert.equal((await list())[0]!.lastUsedAt, first, 'within the minute: not written again');
		clock.advance(51_000);
		await members(token);
		await lastUsedBecomes(new Date(clock.now()).toISOString());
	});

	it('cannot make another token, and opens nothing once its maker is no longer an admin', async () => {
		const { token, id } = await jsonOf(await make(admin, { label: 'pipeline' }));
		const successor = await make(token, { label: 'successor', expiresInDays: null });
		assert.equal(successor.status, 403);
		assert.match((await jsonOf(successor)).message, /an admin API token cannot make another/);
		// A token may still list and revoke (a pipeline retiring itself).
		assert.equal((await list(token)).length, 1);

		clock.advance(1000);
		const maker = await service.addUser('maker@acme.example', 'admin');
		const makersToken = (await jsonOf(await make((await service.signIn(maker.email)).access_token, { label: "maker's" }))) as {
			token: string;
			id: string;
		};
		await service.store.identity.updateUser(maker.id, { role: 'member' });
		clock.advance(6000);
		assert.equal((await members(makersToken.token)).status, 401);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(makersToken.token) })).status, 401, 'not even as a member');
		assert.deepEqual(
			(await list()).map((entry) => [entry.label, entry.state]),
			[
				["maker's", 'maker-not-admin'],
				['pipeline', 'active'],
			],
		);
		const member = await service.addUser('dev@acme.example', 'member');
		const memberToken = (await service.signIn(member.email)).access_token;
		assert.equal((await fetch(`${service.url}/api/v1/admin/tokens`, { headers: bearer(memberToken) })).status, 403);
		assert.equal((await revoke(memberToken, id)).status, 403);
	});
});
