import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCommand } from '../../src/server/admin-command';
import { TestBrowser } from '../support/sso-browser';
import { ssoInStore } from '../support/sso-setup';
import {
	ADMIN,
	bearer,
	EventReader,
	form,
	jsonOf,
	ManualClock,
	startService,
	submitPageForm,
	type RunningService,
} from '../support/service';

const NEW_PASSWORD = 'a fresh passphrase for spring';

/** A member who lost their password gets a one-time link from an admin and chooses a new one. */
describe('password reset links', () => {
	let service: RunningService;
	let clock: ManualClock;
	let admin: string;

	beforeEach(async () => {
		clock = new ManualClock(Date.now());
		service = await startService({ clock });
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => service.close());

	const makeLink = (token: string, id: string) =>
		fetch(`${service.url}/api/v1/admin/members/${id}/password-reset`, { method: 'POST', headers: bearer(token) });
	const linkFor = async (id: string): Promise<string> => {
		const made = await makeLink(admin, id);
		assert.equal(made.status, 201);
		return (await jsonOf(made)).link;
	};
	/** The reset page opened as a browser does (its form's token and cookie), to post to later: it may outlive the link. */
	const openForm = async (link: string) => {
		const page = await fetch(link);
		const cookie = (page.headers.getSetCookie?.() ?? []).map((header) => header.split(';')[0]!).join('; ');
		const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
		return (password: string) => form(link, { csrf, password }, { cookie });
	};
	const read = (token: string) => fetch(`${service.url}/api/v1/policy`, { headers: bearer(token) });

	it('sets the new password once: every sign-in of theirs ends, the old password opens nothing, the new one signs in', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const laptop = await service.signIn(dev.email);
		const stream = new EventReader(await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(laptop.access_token) }));
		assert.equal((await stream.next())?.id, '1');

		const made = await makeLink(admin, dev.id);
		assert.equal(made.status, 201);
		const answer = await jsonOf(made);
		assert.equal(answer.email, dev.email);
		assert.equal(answer.emailed, false, 'nothing is e-mailed without SMTP');
		assert.match(answer.link, new RegExp(`^${service.url}/reset/opp_pwr_`));
		assert.equal(Date.parse(answer.expiresAt), clock.now() + 24 * 3600_000, 'a day');

		const listed = async () =>
			(
				(await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }))).members as {
					email: string;
					passwordResetUntil?: string;
				}[]
			).find((member) => member.email === dev.email)?.passwordResetUntil;
		assert.equal(await listed(), answer.expiresAt, 'the listing says a link is out, and until when');
		const opened = await fetch(answer.link);
		assert.equal(opened.status, 200);
		const page = await opened.text();
		assert.match(page, /<strong id="reset-account">dev@acme\.example<\/strong>/);
		assert.equal((await read(laptop.access_token)).status, 200, 'opening the link changes nothing');

		const post = await openForm(answer.link);
		const saved = await post(NEW_PASSWORD);
		assert.equal(saved.status, 200);
		assert.match(
			await saved.text(),
			/Your new password is set, and your earlier sign-ins ended\.[\s\S]*id="open-in-vscode"/,
			'the member is shown how to connect VS Code again',
		);

		assert.equal((await stream.next())?.event, 'revoked', 'their open stream ended at once');
		assert.equal(await listed(), undefined, 'used: no link is out');
		assert.equal((await read(laptop.access_token)).status, 401);
		// Their VS Code, refreshing, is told why it was signed out.
		const refused = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: laptop.refresh_token,
			client_id: 'vscode',
		});
		assert.equal((await jsonOf(refused)).error_description, "this account's password was reset with a one-time link");
		await assert.rejects(service.signIn(dev.email, dev.password), /approval failed: 401/);
		assert.equal((await read((await service.signIn(dev.email, NEW_PASSWORD)).access_token)).status, 200);

		const again = await fetch(answer.link);
		assert.equal(again.status, 404, 'the link works once');
		assert.match(await again.text(), /cannot be used: it was used already, or replaced by a newer one/);
		const replayed = await post('yet another passphrase here');
		assert.equal(replayed.status, 404, 'the same form posted again');
		assert.match(await replayed.text(), /cannot be used/);
		await assert.rejects(service.signIn(dev.email, 'yet another passphrase here'));

		const events = await service.store.audit.listAudit('acme', {
			limit: 20,
			actions: ['member.password_reset_sent', 'member.password_reset'],
		});
		// One millisecond on this clock: compared by action, not by order.
		const byAction = events
			.map(({ actor, action, detail }) => ({ actor, action, detail }))
			.sort((a, b) => a.action.localeCompare(b.action));
		assert.deepEqual(byAction, [
			{ actor: dev.email, action: 'member.password_reset', detail: { role: 'member' } },
			{ actor: ADMIN.email, action: 'member.password_reset_sent', detail: { member: dev.email, emailed: false } },
		]);
	});

	it('keeps the link when the password is refused, and names why', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const link = await linkFor(dev.id);
		const short = await submitPageForm(link, { password: 'short' });
		assert.equal(short.status, 400);
		assert.match(await short.text(), /at least 12 characters/);
		const common = await submitPageForm(link, { password: 'dev@acme.example' + '1234' });
		assert.equal(common.status, 400);
		const commonPage = await common.text();
		assert.match(commonPage, /role="alert" id="reset-error">The password /);
		assert.match(commonPage, /id="reset-account">dev@acme\.example</, 'the form is there again, for the same account');
		// A form that fails its own check (no form token) is refused, and shown again for the account.
		const unchecked = await fetch(link, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', origin: service.url },
			body: new URLSearchParams({ password: NEW_PASSWORD }),
		});
		assert.equal(unchecked.status, 403);
		assert.match(await unchecked.text(), /id="reset-account">dev@acme\.example</);
		assert.equal((await fetch(link)).status, 200, 'still usable');
		assert.equal((await submitPageForm(link, { password: NEW_PASSWORD })).status, 200);
	});

	it('works one link at a time, for a day', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const first = await linkFor(dev.id);
		const second = await linkFor(dev.id);
		assert.equal((await fetch(first)).status, 404, 'a new link replaces the unused one');
		const post = await openForm(second);
		clock.advance(24 * 3600_000);
		const expired = await fetch(second);
		assert.equal(expired.status, 410);
		assert.match(await expired.text(), /This password reset link has expired\. Ask your admin for a new one\./);
		assert.equal((await post(NEW_PASSWORD)).status, 410, 'a page opened in time, posted too late');
		await assert.rejects(service.signIn(dev.email, NEW_PASSWORD));
		assert.equal((await service.store.purgeExpired(clock.now() + 1)) > 0, true);
		assert.equal(await service.store.passwordResets.get('anything'), undefined);
	});

	it('signs an admin in to the console with their new password; their other console sessions end', async () => {
		const lead = await service.addUser('lead@acme.example', 'admin');
		const elsewhere = new TestBrowser();
		await elsewhere.submit(`${service.url}/console/login`, '/console/login', { email: lead.email, password: lead.password });
		assert.equal((await elsewhere.open(`${service.url}/console/members`)).url, `${service.url}/console/members`);

		const link = await linkFor(lead.id);
		const browser = new TestBrowser();
		const landed = await browser.submit(link, new URL(link).pathname, { password: NEW_PASSWORD });
		assert.equal(new URL(landed.url).pathname.startsWith('/console'), true);
		assert.equal((await browser.open(`${service.url}/console/members`)).url, `${service.url}/console/members`, 'signed in');
		assert.match((await elsewhere.open(`${service.url}/console/members`)).url, /\/console\/login/, 'the old session ended');
	});

	it('is made by a signed-in admin only, for a member of their organization who can use a password', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const devToken = (await service.signIn(dev.email)).access_token;
		assert.equal((await makeLink(devToken, dev.id)).status, 403, 'not by members');

		const pipeline = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'pipeline' }),
			}),
		);
		const byToken = await makeLink(pipeline.token, dev.id);
		assert.equal(byToken.status, 403, 'an API token cannot take over an account');
		assert.match((await jsonOf(byToken)).message, /an admin API token cannot reset passwords/);

		const missing = await makeLink(admin, 'no-such-member');
		assert.equal(missing.status, 404);
		assert.match((await jsonOf(missing)).message, /no such member/);

		await service.store.identity.setDeactivated(dev.id, clock.now());
		const deactivated = await makeLink(admin, dev.id);
		assert.equal(deactivated.status, 409);
		assert.match((await jsonOf(deactivated)).message, /dev@acme\.example is deactivated by the directory/);
		await service.store.identity.setDeactivated(dev.id, null);

		const link = await linkFor(dev.id);
		await ssoInStore(service, { passwordSignIn: false });
		const ssoOnly = await makeLink(admin, dev.id);
		assert.equal(ssoOnly.status, 409);
		assert.match((await jsonOf(ssoOnly)).message, /dev@acme\.example signs in with single sign-on only: a password could not be used/);
		assert.equal((await fetch(link)).status, 200, 'the earlier link stays: a refused one replaces nothing');
	});

	it('is withdrawn by an admin (an API token too): the link opens nothing, the listing drops it, the activity names it', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const link = await linkFor(dev.id);
		const withdraw = (token: string, id = dev.id) =>
			fetch(`${service.url}/api/v1/admin/members/${id}/password-reset`, { method: 'DELETE', headers: bearer(token) });
		const devToken = (await service.signIn(dev.email)).access_token;
		assert.equal((await withdraw(devToken)).status, 403, 'not by members');

		const pipeline = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(admin, { 'content-type': 'application/json' }),
				body: JSON.stringify({ label: 'pipeline' }),
			}),
		);
		// Withdrawing only takes a way in away: a pipeline may clean up after a link sent to the wrong inbox.
		assert.equal((await withdraw(pipeline.token)).status, 204);
		assert.equal((await fetch(link)).status, 404, 'the link opens nothing');
		const listing = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
		assert.equal(listing.members.find((member: { email: string }) => member.email === dev.email).passwordResetUntil, undefined);
		await service.signIn(dev.email, dev.password);

		const again = await withdraw(admin);
		assert.equal(again.status, 404);
		assert.match((await jsonOf(again)).message, /no password reset link of dev@acme\.example is out/);
		assert.equal((await withdraw(admin, 'no-such-member')).status, 404);
		// An expired link is not "out": there is nothing to withdraw.
		await linkFor(dev.id);
		clock.advance(24 * 3600_000);
		assert.equal((await withdraw(pipeline.token)).status, 404);

		const events = await service.store.audit.listAudit('acme', { limit: 5, actions: ['member.password_reset_withdrawn'] });
		assert.deepEqual(
			events.map(({ actor, detail }) => ({ actor, detail })),
			// The pipeline withdrew it: the activity names its token, not only the admin who made it.
			[{ actor: `${ADMIN.email} (API token "pipeline", id ${pipeline.id})`, detail: { member: dev.email } }],
		);
	});

	it('ends with the member: removing them voids their link', async () => {
		const dev = await service.addUser('dev@acme.example', 'member');
		const link = await linkFor(dev.id);
		assert.equal((await fetch(`${service.url}/api/v1/admin/members/${dev.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
		assert.equal((await fetch(link)).status, 404);
	});

	it("the operator's `admin reset-link` for an existing admin: a link that sets their password and makes them break-glass; a member is refused", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-reset-'));
		const onDisk = await startService({ dataDir });
		const lead = await onDisk.addUser('lead@acme.example', 'admin');
		await onDisk.addUser('dev@acme.example', 'member');
		await onDisk.close();
		const run = async (email: string) => {
			const printed: string[] = [];
			const { log, error } = console;
			console.log = console.error = (line: string) => void printed.push(line);
			try {
				const code = await runAdminCommand(['reset-link', '--data-dir', dataDir, '--admin-email', email, '--org-id', 'acme'], {});
				return { code, text: printed.join('\n') };
			} finally {
				Object.assign(console, { log, error });
			}
		};
		try {
			const member = await run('dev@acme.example');
			assert.equal(member.code, 1);
			assert.match(member.text, /dev@acme\.example is already a member of this organization, not an admin; choose another address/);
			const operator = await run('lead@acme.example');
			assert.equal(operator.code, 0, operator.text);
			const link = /\/reset\/(\S+)/.exec(operator.text)?.[0];
			assert.ok(link);
			const reopened = await startService({ dataDir });
			try {
				assert.equal((await submitPageForm(`${reopened.url}${link}`, { password: NEW_PASSWORD })).status, 303);
				const after = await reopened.store.getUser(lead.id);
				assert.equal(after?.breakGlass, true, 'a break-glass admin, who may use a password where single sign-on is required');
				await reopened.signIn(lead.email, NEW_PASSWORD);
			} finally {
				await reopened.close();
			}
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
