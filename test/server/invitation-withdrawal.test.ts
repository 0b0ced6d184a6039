import assert from 'node:assert/strict';
import { TestBrowser } from '../support/sso-browser';
import { ADMIN, bearer, jsonOf, startService, type RunningService } from '../support/service';

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
});
