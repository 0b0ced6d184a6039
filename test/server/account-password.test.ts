import assert from 'node:assert/strict';
import { TestBrowser } from '../support/sso-browser';
import { ssoInStore } from '../support/sso-setup';
import { ADMIN, bearer, form, jsonOf, startService, type RunningService } from '../support/service';

const NEW_PASSWORD = 'a brand new passphrase 42';

/** A signed-in admin changes their own password on /console/account. */
describe('changing your own password', () => {
	let service: RunningService;

	beforeEach(async () => {
		service = await startService();
	});
	afterEach(async () => service.close());

	const consoleAs = async (email: string, password: string) => {
		const browser = new TestBrowser();
		const signedIn = await browser.submit(`${service.url}/console/login`, '/console/login', { email, password });
		return { browser, landed: new URL(signedIn.url).pathname };
	};
	const change = async (browser: TestBrowser, fields: Record<string, string>) => {
		const answer = await browser.submit(`${service.url}/console/account`, '/console/account/password', fields);
		return { status: answer.response.status, text: await answer.response.text() };
	};
	const stillIn = async (browser: TestBrowser) =>
		new URL((await browser.open(`${service.url}/console/members`)).url).pathname === '/console/members';

	it('asks for the current password, checks the new one, ends the other console sessions and keeps this one', async () => {
		const { browser: here } = await consoleAs(ADMIN.email, ADMIN.password);
		const { browser: elsewhere } = await consoleAs(ADMIN.email, ADMIN.password);
		const vscode = (await service.signIn(ADMIN.email)).access_token;

		const wrong = await change(here, { current: 'not it at all', password: NEW_PASSWORD, repeat: NEW_PASSWORD });
		assert.equal(wrong.status, 400);
		assert.match(wrong.text, /That is not your current password\./);
		const differ = await change(here, { current: ADMIN.password, password: NEW_PASSWORD, repeat: `${NEW_PASSWORD}!` });
		assert.equal(differ.status, 400);
		assert.match(differ.text, /The two new passwords differ\./);
		const weak = await change(here, { current: ADMIN.password, password: 'password1234', repeat: 'password1234' });
		assert.equal(weak.status, 400);
		assert.match(weak.text, /The password /);
		assert.ok(![wrong, differ, weak].some((answer) => answer.text.includes(ADMIN.password)), 'no password is echoed back');

		const changed = await change(here, { current: ADMIN.password, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
		assert.equal(changed.status, 200);
		assert.match(changed.text, /Password changed\. Your other console sessions ended\./);
		assert.equal(await stillIn(here), true, 'this session stays');
		assert.equal(await stillIn(elsewhere), false, 'the other session ended');
		assert.equal(
			(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(vscode) })).status,
			200,
			'VS Code stays signed in unless asked',
		);

		assert.equal((await consoleAs(ADMIN.email, ADMIN.password)).landed, '/console/login', 'the old password opens nothing');
		assert.equal((await consoleAs(ADMIN.email, NEW_PASSWORD)).landed, '/console/settings');
		const events = await service.store.audit.listAudit('acme', { limit: 50, actions: ['account.password_changed'] });
		assert.deepEqual(events.map((event) => `${event.outcome} ${JSON.stringify(event.detail)}`).sort(), [
			'ok {"endedSignIns":false}',
			'refused {"reason":"wrong current password"}',
		]);
	});

	it('signs VS Code out everywhere too when asked (someone may know the old password)', async () => {
		const { browser } = await consoleAs(ADMIN.email, ADMIN.password);
		const vscode = await service.signIn(ADMIN.email);
		const changed = await change(browser, { current: ADMIN.password, password: NEW_PASSWORD, repeat: NEW_PASSWORD, endSignIns: 'on' });
		assert.equal(changed.status, 200);
		assert.match(changed.text, /and so did your VS Code sign-ins: sign in there again\./);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(vscode.access_token) })).status, 401);
		const refused = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: vscode.refresh_token,
			client_id: 'vscode',
		});
		assert.equal((await jsonOf(refused)).error_description, "this account's password was changed", 'VS Code is told why');
		assert.equal(await stillIn(browser), true);
	});

	it('has no password to change for an account that signs in through single sign-on', async () => {
		const person = await service.accounts.members.create('acme', 'sso.admin@acme.example', 'admin', null);
		const { cookie } = await service.accounts.sessions.create(person);
		const browser = new TestBrowser();
		browser.plant(service.url, 'opp_session', cookie);
		const page = await (await browser.open(`${service.url}/console/account`)).response.text();
		assert.match(page, /You sign in through single sign-on: there is no password here to change\./);
		assert.doesNotMatch(page, /id="password-form"/);
	});

	describe("members' own page (/account/password), for those who have no console", () => {
		const changeAsMember = async (fields: Record<string, string>) => {
			const answer = await new TestBrowser().submit(`${service.url}/account/password`, '/account/password', fields);
			return { status: answer.response.status, text: await answer.response.text() };
		};

		it('changes a member’s password with the current one; VS Code stays signed in unless they ask', async () => {
			const dev = await service.addUser('dev@acme.example', 'member');
			const laptop = (await service.signIn(dev.email)).access_token;
			const typo = await changeAsMember({
				email: dev.email,
				current: dev.password,
				password: NEW_PASSWORD,
				repeat: 'something else entirely',
			});
			assert.equal(typo.status, 400);
			assert.match(typo.text, /The two new passwords differ\./);
			const wrong = await changeAsMember({
				email: dev.email,
				current: 'not the password at all',
				password: NEW_PASSWORD,
				repeat: NEW_PASSWORD,
			});
			assert.equal(wrong.status, 401);
			assert.match(wrong.text, /Wrong email or current password\./);
			assert.match(wrong.text, /value="dev@acme\.example"/, 'the address typed is kept');
			const same = await changeAsMember({ email: dev.email, current: dev.password, password: dev.password, repeat: dev.password });
			assert.equal(same.status, 400);
			assert.match(same.text, /must differ from the current one/);

			const changed = await changeAsMember({ email: dev.email, current: dev.password, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
			assert.equal(changed.status, 200);
			assert.match(changed.text, /Password changed for dev@acme\.example\. VS Code stays signed in\./);
			assert.ok(![typo, wrong, same, changed].some((answer) => answer.text.includes(dev.password)), 'no password is echoed back');
			assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(laptop) })).status, 200);
			await assert.rejects(service.signIn(dev.email, dev.password));
			const again = (await service.signIn(dev.email, NEW_PASSWORD)).access_token;

			const ended = await changeAsMember({
				email: dev.email,
				current: NEW_PASSWORD,
				password: 'and yet another passphrase',
				repeat: 'and yet another passphrase',
				endSignIns: 'on',
			});
			assert.match(ended.text, /Your VS Code sign-ins ended: sign in there again with the new password\./);
			for (const token of [laptop, again]) {
				assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token) })).status, 401);
			}
			const events = await service.store.audit.listAudit('acme', { limit: 50, actions: ['account.password_changed', 'sign_in.password'] });
			assert.deepEqual(events.map((event) => `${event.actor} ${event.action} ${event.outcome} ${JSON.stringify(event.detail)}`).sort(), [
				'dev@acme.example account.password_changed ok {"endedSignIns":false,"via":"account page"}',
				'dev@acme.example account.password_changed ok {"endedSignIns":true,"via":"account page"}',
				'dev@acme.example sign_in.password refused {"purpose":"account","reason":"wrong_password"}',
				'dev@acme.example sign_in.password refused {"purpose":"device","reason":"wrong_password"}',
			]);
		});

		it("fills in the address VS Code's Change Password… opens it with, and only one that could be an address", async () => {
			const pageFor = async (query: string) => (await fetch(`${service.url}/account/password${query}`)).text();
			assert.match(
				await pageFor('?email=dev%2Bai%40acme.example'),
				/id="email" autocomplete="username" required value="dev\+ai@acme\.example"/,
			);
			// As long as the admin API and SCIM let an account's address be (320), and no longer.
			const longest = `${'a'.repeat(64)}@${'b'.repeat(251)}.com`;
			assert.equal(longest.length, 320);
			assert.match(await pageFor(`?email=${encodeURIComponent(longest)}`), new RegExp(`required value="${longest.replace(/\./g, '\\.')}"`));
			for (const query of ['', '?email=', '?email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E', `?email=${'a'.repeat(311)}%40b.example`]) {
				const page = await pageFor(query);
				assert.match(page, /id="email" autocomplete="username" required value=""/, query);
				assert.doesNotMatch(page, /<script>alert/, query);
			}
		});

		it('is throttled like a sign-in, and sends people who sign in with single sign-on only to their identity provider', async () => {
			const dev = await service.addUser('dev@acme.example', 'member');
			// Five free failures (then each waits longer), under the address's own limit of ten a minute.
			for (let attempt = 0; attempt < 6; attempt++) {
				await changeAsMember({ email: dev.email, current: `wrong guess ${attempt} here`, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
			}
			const throttled = await changeAsMember({ email: dev.email, current: dev.password, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
			assert.equal(throttled.status, 429);
			assert.match(throttled.text, /Too many failed sign-ins for this account: try again in \d+ s\./);

			await ssoInStore(service, { passwordSignIn: false });
			const other = await service.addUser('other@acme.example', 'member');
			const ssoOnly = await changeAsMember({ email: other.email, current: other.password, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
			assert.equal(ssoOnly.status, 409);
			assert.match(ssoOnly.text, /signs in with single sign-on only: change your password at your identity provider/);
			await assert.rejects(service.signIn(other.email, NEW_PASSWORD));
		});
	});
});
