import assert from 'node:assert/strict';
import { TestBrowser } from '../support/sso-browser';
import { ADMIN, bearer, EventReader, form, jsonOf, startService, type RunningService } from '../support/service';

/** An admin signs one member out everywhere (a lost laptop) and keeps them a member. */
describe('signing a member out everywhere', () => {
	let service: RunningService;
	let admin: string;

	beforeEach(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => service.close());

	const signOut = (token: string, id: string) =>
		fetch(`${service.url}/api/v1/admin/members/${id}/sign-out`, { method: 'POST', headers: bearer(token) });
	const read = (token: string) => fetch(`${service.url}/api/v1/policy`, { headers: bearer(token) });
	const refresh = (refreshToken: string) =>
		form(`${service.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'vscode' });

	it('ends every VS Code and console sign-in of theirs at once, open streams included; their admin API token and membership stay', async () => {
		const lead = await service.addUser('lead@acme.example', 'admin');
		const laptop = await service.signIn(lead.email);
		const desktop = await service.signIn(lead.email);
		const stream = new EventReader(await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(laptop.access_token) }));
		assert.equal((await stream.next())?.id, '1');
		const console = new TestBrowser();
		await console.submit(`${service.url}/console/login`, '/console/login', { email: lead.email, password: lead.password });
		assert.equal((await console.open(`${service.url}/console/members`)).url, `${service.url}/console/members`);
		const pipeline = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(laptop.access_token, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'pipeline' }),
			}),
		);
		const bystander = await service.addUser('dev@acme.example', 'member');
		const bystanderTokens = await service.signIn(bystander.email);

		assert.equal((await signOut(admin, lead.id)).status, 204);

		assert.equal((await stream.next())?.event, 'revoked', 'the open stream ended at once');
		assert.equal(await stream.next(), undefined);
		for (const tokens of [laptop, desktop]) {
			assert.equal((await read(tokens.access_token)).status, 401);
			const refused = await refresh(tokens.refresh_token);
			assert.equal(refused.status, 400);
			assert.equal((await jsonOf(refused)).error_description, 'an admin signed this account out everywhere');
		}
		assert.match((await console.open(`${service.url}/console/members`)).url, /\/console\/login/, 'the console session ended too');
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(pipeline.token) })).status,
			200,
			"automation's token stays",
		);
		assert.equal((await read(bystanderTokens.access_token)).status, 200, 'nobody else is signed out');

		// Still a member: they sign in again and go on.
		const again = await service.signIn(lead.email);
		assert.equal((await read(again.access_token)).status, 200);
		const listed = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
		assert.ok(listed.members.some((member: { email: string }) => member.email === lead.email));
		const events = await service.store.audit.listAudit('acme', { limit: 10 });
		assert.deepEqual(
			events.filter((event) => event.action === 'member.signed_out').map(({ actor, detail }) => ({ actor, detail })),
			[{ actor: ADMIN.email, detail: { member: lead.email } }],
		);
	});

	it('is for admins, and names a member who is not there', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		const memberToken = (await service.signIn(member.email)).access_token;
		assert.equal((await signOut(memberToken, member.id)).status, 403);
		const missing = await signOut(admin, 'no-such-member');
		assert.equal(missing.status, 404);
		assert.match((await jsonOf(missing)).message, /no such member/);
	});

	it('takes the POST as scripts send it, with a JSON Content-Type and no body', async () => {
		const member = await service.addUser('dev@acme.example', 'member');
		const laptop = await service.signIn(member.email);
		const scripted = await fetch(`${service.url}/api/v1/admin/members/${member.id}/sign-out`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
		});
		assert.equal(scripted.status, 204, await scripted.clone().text());
		assert.equal((await read(laptop.access_token)).status, 401);
	});

	it("signs one machine out (a lost laptop): that VS Code's sign-in and stream end, it stops counting, the member's other machine goes on", async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const laptop = await service.signIn(dev.email);
		const desktop = await service.signIn(dev.email);
		const applied = (tokens: { access_token: string }, userAgent: string) =>
			fetch(`${service.url}/api/v1/policy/applied`, {
				method: 'POST',
				headers: bearer(tokens.access_token, { 'content-type': 'application/json', 'user-agent': userAgent }),
				body: JSON.stringify({ revision: 1 }),
			});
		assert.equal((await applied(laptop, 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)')).status, 204);
		assert.equal((await applied(desktop, 'OrgProviderPolicy/0.3.0 (VS Code 1.104.0)')).status, 204);
		const machines = async () => {
			const { members } = await jsonOf(await fetch(`${service.url}/api/v1/admin/members?q=dev%40`, { headers: bearer(admin) }));
			return (members[0].signIns ?? []) as { id: string; vscodeVersion: string }[];
		};
		const listed = await machines();
		const laptopSignIn = listed.find((machine) => machine.vscodeVersion === '1.117.0');
		assert.ok(laptopSignIn, 'each machine is listed with an id');
		const stream = new EventReader(
			await fetch(`${service.url}/api/v1/policy/events`, {
				headers: bearer(laptop.access_token, { 'user-agent': 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)' }),
			}),
		);
		assert.equal((await stream.next())?.id, '1');

		const endOne = (token: string, memberId: string, signInId: string) =>
			fetch(`${service.url}/api/v1/admin/members/${memberId}/sign-ins/${signInId}/sign-out`, { method: 'POST', headers: bearer(token) });
		assert.equal((await endOne(admin, dev.id, laptopSignIn.id)).status, 204);

		assert.equal((await stream.next())?.event, 'revoked', "the laptop's open stream ended at once");
		assert.equal((await read(laptop.access_token)).status, 401);
		const refused = await refresh(laptop.refresh_token);
		assert.equal(refused.status, 400);
		assert.equal((await jsonOf(refused)).error_description, "an admin signed this VS Code out; the account's other sign-ins go on");
		assert.equal((await read(desktop.access_token)).status, 200, 'the desktop goes on');
		assert.equal((await refresh(desktop.refresh_token)).status, 200);
		assert.deepEqual(
			(await machines()).map((machine) => machine.vscodeVersion),
			['1.104.0'],
			'the laptop no longer counts',
		);
		const events = await service.store.audit.listAudit('acme', { limit: 10 });
		assert.deepEqual(
			events.filter((event) => event.action === 'member.sign_in_ended').map(({ actor, detail }) => ({ actor, detail })),
			[{ actor: ADMIN.email, detail: { member: dev.email, machine: 'extension 0.3.0, VS Code 1.117.0' } }],
		);

		// Another member's machine, one that is not there, and a member (not an admin) are refused.
		const other = await service.addUser('other@acme.example', 'member');
		const desktopSignIn = (await machines())[0]!;
		for (const [memberId, signInId] of [
			[other.id, desktopSignIn.id],
			[dev.id, 'no-such-sign-in'],
			['no-such-member', desktopSignIn.id],
		] as const) {
			const missing = await endOne(admin, memberId, signInId);
			assert.equal(missing.status, 404);
			assert.match((await jsonOf(missing)).message, /no such sign-in of this member/);
		}
		assert.equal((await endOne((await service.signIn(other.email)).access_token, dev.id, desktopSignIn.id)).status, 403);
		assert.equal((await read(desktop.access_token)).status, 200, 'none of the refused calls ended it');
	});
});
