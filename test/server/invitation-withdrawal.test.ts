import assert from 'node:assert/strict';
import { TestBrowser } from '../support/sso-browser';
import { ADMIN, bearer, jsonOf, ManualClock, startService, type RunningService } from '../support/service';

/** A pending invitation can be taken back, and a new one for the same address replaces it: one link works at a time. */
describe('withdrawing and replacing invitations', () => {
	let service: RunningService;
	let admin: string;

	beforeEach(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => service.close());

	const invite = async (email: string, role = 'member') => {
		const response = await fetch(`${service.url}/api/v1/admin/members`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ email, role }),
		});
		assert.equal(response.status, 201);
		return (await jsonOf(response)).invitation as { link: string; email: string };
	};
	const pending = async () =>
		(await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }))).invitations.map(
			(invitation: { email: string; role: string }) => `${invitation.email} ${invitation.role}`,
		);
	const accept = async (link: string) => {
		const answer = await new TestBrowser().submit(link, new URL(link).pathname, { password: 'a long enough password 1' });
		return { status: answer.response.status, text: await answer.response.text() };
	};
	const withdraw = (email: string, token = admin) =>
		fetch(`${service.url}/api/v1/admin/invitations/${encodeURIComponent(email)}`, { method: 'DELETE', headers: bearer(token) });

	it('withdraws a link sent to the wrong inbox: it opens nothing, and the address can be invited again', async () => {
		const sent = await invite('New.Admin@acme.example', 'admin');
		assert.equal((await withdraw('new.admin@ACME.example')).status, 204);
		assert.deepEqual(await pending(), []);
		const refused = await accept(sent.link);
		assert.equal(refused.status, 404);
		assert.match(refused.text, /not valid: it was used, withdrawn or replaced by a newer one/);
		assert.equal(await service.store.findUserByEmail('acme', 'new.admin@acme.example'), undefined);

		const missing = await withdraw('new.admin@acme.example');
		assert.equal(missing.status, 404);
		assert.match((await jsonOf(missing)).message, /no pending invitation for new\.admin@acme\.example/);
		const events = await service.store.audit.listAudit('acme', { limit: 10 });
		assert.deepEqual(
			events.filter((event) => event.action === 'member.invitation_withdrawn').map(({ actor, detail }) => ({ actor, detail })),
			[{ actor: ADMIN.email, detail: { member: 'new.admin@acme.example' } }],
		);
	});

	it('replaces the pending invitation when the same address is invited again: only the newest link works', async () => {
		const first = await invite('dev@acme.example', 'admin');
		const second = await invite('dev@acme.example', 'member');
		assert.deepEqual(await pending(), ['dev@acme.example member']);
		assert.equal((await accept(first.link)).status, 404, 'the earlier link (as admin) opens nothing');
		assert.equal((await accept(second.link)).status, 200);
		assert.equal((await service.store.findUserByEmail('acme', 'dev@acme.example'))?.role, 'member');
		assert.equal((await withdraw('dev@acme.example')).status, 404, 'accepted: nothing left to withdraw');
	});

	it('is for admins', async () => {
		await invite('someone@acme.example');
		await service.addUser('dev@acme.example', 'member');
		const member = (await service.signIn('dev@acme.example')).access_token;
		assert.equal((await withdraw('someone@acme.example', member)).status, 403);
		assert.deepEqual(await pending(), ['someone@acme.example member']);
	});

	it('says a link opens nothing when it is opened, before a password is typed, and again if it stopped working while the page was open', async () => {
		const sent = await invite('late@acme.example');
		const opened = await fetch(sent.link);
		assert.equal(opened.status, 200);
		assert.match(await opened.text(), /id="password"/);
		assert.equal((await withdraw('late@acme.example')).status, 204);
		for (const link of [sent.link, `${service.url}/invite/made-up-token`]) {
			const page = await fetch(link, { headers: { accept: 'text/html' } });
			assert.equal(page.status, 404, link);
			const text = await page.text();
			assert.match(text, /<h1>This invitation link cannot be used<\/h1>/);
			assert.match(text, /not valid: it was used, withdrawn or replaced by a newer one\. Ask your admin for a new one\./);
			assert.doesNotMatch(text, /<form method="post"/, 'no password to type for a link that opens nothing');
		}
		// The page opened before the withdrawal is submitted: the same sentence, no form to fill in again.
		const submitted = await accept(sent.link);
		assert.equal(submitted.status, 404);
		assert.match(submitted.text, /This invitation link cannot be used/);
		assert.doesNotMatch(submitted.text, /id="password"/);
	});
});

describe('an expired invitation link', () => {
	it('says it expired when it is opened, and when a page opened in time is submitted late', async () => {
		const clock = new ManualClock(Date.parse('2026-12-06T09:00:00Z'));
		const service = await startService({ clock });
		try {
			const { token } = await service.accounts.members.invite('acme', 'slow@acme.example', 'member', ADMIN.email);
			const link = `${service.url}/invite/${token}`;
			const browser = new TestBrowser();
			const opened = await browser.request(link);
			assert.equal(opened.status, 200);
			const formToken = /name="csrf" value="([^"]+)"/.exec(await opened.text())?.[1];
			assert.ok(formToken);
			clock.advance(7 * 24 * 3600_000 + 1000);
			const expired = await fetch(link);
			assert.equal(expired.status, 410);
			const text = await expired.text();
			assert.match(text, /This invitation link has expired\. Ask your admin for a new one\./);
			assert.doesNotMatch(text, /id="password"/);
			const late = await browser.request(link, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ csrf: formToken, password: 'a long enough password 1' }),
			});
			assert.equal(late.status, 410);
			assert.match(await late.text(), /has expired/);
			assert.equal(await service.store.findUserByEmail('acme', 'slow@acme.example'), undefined);
		} finally {
			await service.close();
		}
	});
});
