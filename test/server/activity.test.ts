import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runAdminCommand } from '../../src/server/admin-command';
import { ADMIN, bearer, form, jsonOf, startService, type RunningService } from '../support/service';
import { TestBrowser } from '../support/sso-browser';

// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The activity list records every security-relevant action with the account that took it, and the
 * free text users send (labels, names, addresses typed) reaches neither it nor the log with control
 * or bidirectional-override characters. Runs on PostgreSQL in server-pg too.
 */
describe('activity list: who did what', function () {
	this.timeout(30_000);
	let service: RunningService;
	const lines: string[] = [];

	beforeEach(async () => {
		lines.length = 0;
		const stream = new Writable({
			write(chunk, _encoding, done) {
				lines.push(String(chunk));
				done();
			},
		});
		// No grace for a rotated refresh token coming back (60 s by default): the replay below is at once.
		service = await startService({ logger: { level: 'info', stream }, timings: { refreshReuseGraceSeconds: 0 } });
	});
	afterEach(() => service.close());

	const activity = async () => (await service.store.audit.listAudit('acme', { limit: 100 })).reverse();
	const admin = async () => (await service.signIn(ADMIN.email)).access_token;
	const post = (token: string, path: string, body: unknown) =>
		fetch(`${service.url}/api/v1/admin${path}`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': 'application/json' }),
			body: JSON.stringify(body),
		});

	it('records admin API tokens, members added, invited and removed, and invitations accepted, with the acting admin', async () => {
		const token = await admin();
		const madeAnswer = await post(token, '/tokens', { label: 'ci' });
		assert.equal(madeAnswer.status, 201);
		const made = await jsonOf(madeAnswer);
		const added = await jsonOf(await post(token, '/members', { email: 'added@acme.example', password: 'a long enough password 1' }));
		const invited = await jsonOf(await post(token, '/members', { email: 'Invited@acme.example', role: 'admin' }));
		const removed = await fetch(`${service.url}/api/v1/admin/members/${added.member.id}`, { method: 'DELETE', headers: bearer(token) });
		assert.equal(removed.status, 204);
		const browser = new TestBrowser();
		const link: string = invited.invitation.link;
		const accepted = await browser.submit(link, new URL(link).pathname, { password: 'another long enough password' });
		assert.equal(accepted.response.status, 200);

		const events = (await activity()).map(({ actor, action, outcome, detail }) => ({ actor, action, outcome, detail }));
		const of = (action: string) => events.filter((event) => event.action === action);
		// The token's end is in the line: 90 days, the default lifetime.
		const expiresAt = String(of('admin_token.created')[0]?.detail['expiresAt']);
		assert.ok(Math.abs(Date.parse(expiresAt) - Date.now() - 90 * 86_400_000) < 60_000, expiresAt);
		assert.deepEqual(of('admin_token.created'), [
			{ actor: ADMIN.email, action: 'admin_token.created', outcome: 'ok', detail: { label: 'ci', id: made.id, expiresAt } },
		]);
		assert.deepEqual(of('member.added'), [
			{ actor: ADMIN.email, action: 'member.added', outcome: 'ok', detail: { member: 'added@acme.example', role: 'member' } },
		]);
		assert.deepEqual(of('member.invited'), [
			{ actor: ADMIN.email, action: 'member.invited', outcome: 'ok', detail: { member: 'invited@acme.example', role: 'admin' } },
		]);
		assert.deepEqual(of('member.removed'), [
			{ actor: ADMIN.email, action: 'member.removed', outcome: 'ok', detail: { member: 'added@acme.example' } },
		]);
		assert.deepEqual(
			of('invitation.accepted').map(({ actor, detail }) => [actor, detail['role']]),
			[['invited@acme.example', 'admin']],
		);
		assert.ok(
			lines.some((line) => line.includes('"action":"member.removed"')),
			'and the service log has them',
		);
	});

	it('records a replayed refresh token (which revokes the sign-in) against the account it belonged to', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		const signedIn = await service.signIn(member.email);
		const refresh = () =>
			form(`${service.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: signedIn.refresh_token, client_id: 'vscode' });
		assert.equal((await refresh()).status, 200);
		assert.equal((await refresh()).status, 400, 'the rotated-out token came back');
		const replayed = (await activity()).filter((event) => event.action === 'token.refresh_replayed');
		assert.deepEqual(
			replayed.map(({ actor, outcome }) => [actor, outcome]),
			[['dev@acme.example', 'refused']],
		);
	});

	it("records the operator's admin reset-link", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-activity-'));
		const onDisk = await startService({ dataDir });
		await onDisk.close();
		const log = console.log;
		console.log = () => undefined;
		try {
			assert.equal(
				await runAdminCommand(['reset-link', '--data-dir', dataDir, '--admin-email', 'rescue@acme.example', '--org-id', 'acme'], {}),
				0,
			);
		} finally {
			console.log = log;
		}
		const reopened = await startService({ dataDir });
		try {
			const events = await reopened.store.audit.listAudit('acme', { limit: 10 });
			assert.deepEqual(
				events.filter((event) => event.action === 'admin.reset_link').map(({ actor, detail }) => [actor, detail['admin']]),
				[['operator (admin reset-link)', 'rescue@acme.example']],
			);
		} finally {
			await reopened.close();
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it('neutralises control and bidirectional-override characters users send, in the list and in the log', async () => {
		const token = await admin();
		const label = 'ci\u001b[2J\u202egnp.exe\r\nFAKE audit line';
		assert.equal((await post(token, '/tokens', { label })).status, 201);
		await form(`${service.url}/console/login`, { email: 'evil\u202e@acme.example\u001b[31m', password: 'nope' });
		const browser = new TestBrowser();
		await browser.submit(`${service.url}/console/login`, '/console/login', { email: 'x\u2066@acme.example\u0007', password: 'nope' });
		const events = await activity();
		const created = events.find((event) => event.action === 'admin_token.created')!;
		assert.equal(created.detail['label'], 'ci\uFFFD[2J\uFFFDgnp.exe\uFFFD\uFFFDFAKE audit line');
		for (const event of events) {
			assert.doesNotMatch(event.actor, UNSAFE, event.action);
			for (const value of Object.values(event.detail)) {
				assert.ok(typeof value !== 'string' || !UNSAFE.test(value), `${event.action}: ${JSON.stringify(value)}`);
			}
		}
		const refused = events.filter((event) => event.action === 'sign_in.password' && event.outcome === 'refused');
		assert.ok(
			refused.some((event) => event.actor === 'x\uFFFD@acme.example\uFFFD'),
			JSON.stringify(refused.map((event) => event.actor)),
		);
		const auditLines = lines.filter((line) => line.includes('"audit"'));
		for (const line of auditLines) {
			// JSON escapes control characters; the bidi overrides would pass through as they are.
			assert.doesNotMatch(line, /[\u202a-\u202e\u2066-\u2069]|\\u001b|\\u0007/, line);
		}
	});

	it('gives no tokens for a device code approved before the account was deactivated', async () => {
		const member = await service.addUser('leaver@acme.example', 'member');
		const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
		const browser = new TestBrowser();
		const approved = await browser.submit(`${service.url}/device?user_code=${started.user_code}`, '/device', {
			user_code: started.user_code,
			email: member.email,
			password: member.password,
			action: 'approve',
		});
		assert.equal(approved.response.status, 200, await approved.response.clone().text());
		await service.store.identity.setDeactivated(member.id, Date.now());
		const tokens = await form(`${service.url}/oauth/token`, {
			grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
			device_code: started.device_code,
			client_id: 'vscode',
		});
		assert.equal(tokens.status, 400);
		assert.equal((await jsonOf(tokens)).error, 'access_denied');
		const again = await form(`${service.url}/oauth/token`, {
			grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
			device_code: started.device_code,
			client_id: 'vscode',
		});
		assert.equal((await jsonOf(again)).error, 'invalid_grant', 'and the code is used up');
	});

	it('hands the list to a log collector: paged back with before, followed with after, one action or several, bad cursors named', async () => {
		const token = await admin();
		for (const label of ['one', 'two', 'three']) {
			assert.equal((await post(token, '/tokens', { label })).status, 201);
			// Apart by a few milliseconds: events of one millisecond are in id order, which is random.
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		const read = async (query: string, as = token) => {
			const response = await fetch(`${service.url}/api/v1/admin/activity?${query}`, { headers: bearer(as) });
			return { status: response.status, body: await jsonOf(response) };
		};
		const labels = (events: { detail: { label?: string } }[]) => events.map((event) => event.detail.label ?? '-');
		const first = await read('action=admin_token.created&limit=2');
		assert.equal(first.status, 200);
		assert.deepEqual(labels(first.body.events), ['three', 'two']);
		assert.match(first.body.events[0].at, /^\d{4}-\d\d-\d\dT/);
		const older = await read(`action=admin_token.created&limit=2&before=${first.body.next}`);
		assert.deepEqual(labels(older.body.events), ['one']);
		assert.equal(older.body.next, undefined, 'a short page is the end');

		// A collector that read up to "two" gets what came after it, oldest first, and a cursor to keep.
		const since = await read(`action=admin_token.created&after=${first.body.events[1].cursor}`);
		assert.deepEqual(labels(since.body.events), ['three']);
		const caughtUp = await read(`action=admin_token.created&after=${since.body.next}`);
		assert.deepEqual(caughtUp.body.events, []);
		assert.equal(caughtUp.body.next, since.body.next, 'nothing new: the same place');
		assert.equal((await post(token, '/tokens', { label: 'four' })).status, 201);
		assert.deepEqual(labels((await read(`action=admin_token.created&after=${caughtUp.body.next}`)).body.events), ['four']);
		const mixed = await read('action=admin_token.created,device.approved&limit=100');
		assert.deepEqual([...new Set(mixed.body.events.map((event: { action: string }) => event.action))].sort(), [
			'admin_token.created',
			'device.approved',
		]);

		for (const [query, message] of [
			['before=not-a-cursor', /^before: must be a cursor this list handed out/],
			[`before=${first.body.next}&after=${first.body.next}`, /^after: take one of before and after, not both/],
			['limit=0', /^limit: must be at least 1/],
			['limit=5000', /^limit: must be at most 1000/],
		] as const) {
			const refused = await read(query);
			assert.equal(refused.status, 400, query);
			assert.match(refused.body.message, message);
		}
		await service.addUser('dev@acme.example', 'member');
		assert.equal((await read('', (await service.signIn('dev@acme.example')).access_token)).status, 403);

		// What one API token did (a leaked one, say): its maker, label and id, exactly as events name it.
		const pipeline = await jsonOf(await post(token, '/tokens', { label: 'pipeline' }));
		assert.equal((await post(pipeline.token, '/members', { email: 'new@acme.example', role: 'member' })).status, 201);
		const byToken = await read(`actor=${encodeURIComponent(`${ADMIN.email} (API token "pipeline", id ${pipeline.id})`)}`);
		assert.deepEqual(
			byToken.body.events.map((event: { action: string; detail: { member?: string } }) => [event.action, event.detail.member]),
			[['member.invited', 'new@acme.example']],
		);
		assert.match((await read(`actor=${'x'.repeat(501)}`)).body.message, /^actor: must be at most 500 characters/);
	});
});
