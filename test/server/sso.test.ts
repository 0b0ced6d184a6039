import assert from 'node:assert/strict';
import { startIdentityProvider, TEST_CLIENT, type TestIdentityProvider } from '../support/identity-provider';
import { freePort } from '../support/free-port';
import { bearer, form, jsonOf, startService, type RunningService } from '../support/service';
import { TestBrowser } from '../support/sso-browser';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';

/**
 * Single sign-on through a real OpenID provider (oidc-provider on loopback), over HTTP: the
 * console's sign-in, a member approving VS Code, the membership rules, the Test sign-in gate,
 * password sign-in turned off and the break-glass way in. Runs on PostgreSQL in `server-pg` too.
 */
describe('single sign-on (OpenID Connect)', function () {
	this.timeout(30_000);
	let idp: TestIdentityProvider;
	let service: RunningService;
	let callback = '';
	/** A second service's port, registered with the identity provider too. */
	let otherPort = 0;

	beforeEach(async () => {
		const port = await freePort();
		otherPort = await freePort();
		callback = `http://127.0.0.1:${port}/console/sso/callback`;
		idp = await startIdentityProvider([callback, `http://127.0.0.1:${otherPort}/console/sso/callback`]);
		service = await startService({ port });
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
	});

	const audit = async () => service.store.audit.listAudit('acme', { limit: 100 });
	const configure = async (overrides: Record<string, unknown> = {}) => {
		const admin = await adminConsole(service);
		const saved = await saveSsoSettings(admin, service, idp.settings(overrides));
		assert.equal(saved.status, 200, saved.text);
		return admin;
	};

	it('brings an admin who opened a console page signed out back to that page through the identity provider', async () => {
		const admin = await configure();
		// The sign-in page offers single sign-on once a Test sign-in passed.
		assert.equal((await admin.signInWithSso(service.url, 'alice@acme.test', { purpose: 'test' })).status, 200);
		const browser = new TestBrowser();
		const asked = `${service.url}/console/usage?member=alice%40acme.test&model=gpt-4o`;
		const login = await browser.open(asked);
		assert.equal(new URL(login.url).pathname, '/console/login');
		assert.match(await (await browser.request(login.url)).text(), /id="sso-sign-in"/);
		const result = await browser.signInWithSso(service.url, 'alice@acme.test', { loginPage: login.url });
		assert.equal(result.status, 200, result.text);
		const onward = /href="([^"]+)" id="continue"/.exec(result.text)?.[1];
		assert.equal(onward, '/console/usage?member=alice%40acme.test&amp;model=gpt-4o', 'the page asked for, escaped in HTML');
		const page = await browser.open(new URL('/console/usage?member=alice%40acme.test&model=gpt-4o', service.url).href);
		assert.equal(page.response.status, 200, 'the session opens it');
		// A page that is not the console's own is not a destination: the usual one is.
		const elsewhere = new TestBrowser();
		const led = await elsewhere.signInWithSso(service.url, 'alice@acme.test', {
			loginPage: `${service.url}/console/login?next=${encodeURIComponent('//evil.example/console/usage')}`,
		});
		assert.match(led.text, /href="\/console\/settings" id="continue"/);
	});

	it('signs an admin in to the console through the identity provider, creating the account just in time', async () => {
		await configure();
		const browser = new TestBrowser();
		const result = await browser.signInWithSso(service.url, 'alice@acme.test');
		assert.equal(result.status, 200, result.text);
		assert.match(result.text, /Signed in as alice@acme\.test/);
		assert.ok(
			browser.visited.some((url) => url.startsWith(`${idp.issuer}/auth`)),
			'the browser went to the identity provider',
		);
		const settings = await browser.open(`${service.url}/console/settings`);
		assert.equal(new URL(settings.url).pathname, '/console/settings', 'the session opens the console');
		const alice = await service.store.findUserByEmail('acme', 'alice@acme.test');
		assert.equal(alice?.role, 'admin', 'an admin by the ai-admins group');
		assert.equal(alice?.passwordHash, null, 'no password was made');
		const events = await audit();
		assert.ok(
			events.some((event) => event.action === 'member.joined' && event.actor === 'alice@acme.test' && event.detail['via'] === 'sso'),
		);
		assert.ok(events.some((event) => event.action === 'sign_in.sso' && event.outcome === 'ok' && event.actor === 'alice@acme.test'));
	});

	for (const kind of ['swapped-payload', 'foreign-key'] as const) {
		it(`refuses an ID token whose signature does not verify against the provider's keys (${kind})`, async () => {
			await configure();
			// bob signs in; the token endpoint answers with alice's claims (an admin by group).
			idp.tamper = { kind, as: 'alice@acme.test' };
			const browser = new TestBrowser();
			const result = await browser.signInWithSso(service.url, 'bob@acme.test');
			assert.notEqual(result.status, 200, result.text);
			assert.match(result.text, /Single sign-on failed: the identity provider(&#39;|')s answer was refused/);
			assert.equal(await service.store.findUserByEmail('acme', 'alice@acme.test'), undefined, 'no account was made for the forged claims');
			const console = await browser.open(`${service.url}/console/settings`);
			assert.doesNotMatch(await console.response.text(), /Signed in as/);
			idp.tamper = undefined;
			const genuine = await new TestBrowser().signInWithSso(service.url, 'alice@acme.test');
			assert.match(genuine.text, /Signed in as alice@acme\.test/, 'the genuine token still signs in');
		});
	}

	it('lets a member approve a VS Code sign-in through the identity provider, keeping the code', async () => {
		await configure();
		const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
		const browser = new TestBrowser();
		const result = await browser.signInWithSso(service.url, 'bob@acme.test', { purpose: 'device', userCode: started.user_code });
		assert.equal(result.status, 200, result.text);
		assert.match(result.text, new RegExp(`url=/device\\?user_code=${started.user_code}`), 'back to the approval, code kept');
		const approval = await browser.open(`${service.url}/device?user_code=${started.user_code}`);
		const approvalPage = await approval.response.text();
		assert.match(approvalPage, /Signed in as <strong id="signed-in-as">bob@acme\.test<\/strong>/);
		assert.match(approvalPage, new RegExp(`value="${started.user_code}"`));
		const approved = await browser.submit(`${service.url}/device?user_code=${started.user_code}`, '/device', {
			user_code: started.user_code,
			action: 'approve',
		});
		assert.match(await approved.response.text(), /Approved\. VS Code is now signed in to Acme Corp as bob@acme\.test/);
		const tokens = await jsonOf(
			await form(`${service.url}/oauth/token`, {
				grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
				device_code: started.device_code,
				client_id: 'vscode',
			}),
		);
		assert.equal(
			(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status,
			200,
			'VS Code holds a working token',
		);
		assert.equal((await service.store.findUserByEmail('acme', 'bob@acme.test'))?.role, 'member');
	});

	for (const [person, reason, message] of [
		['eve@evil.test', 'domain', /eve@evil\.test is not in a domain this organization accepts \(acme\.test, acme\.example\)/],
		['carol@acme.test', 'unverified_email', /has not verified the e-mail address carol@acme\.test/],
		['dave@acme.test', 'group', /dave@acme\.test is not in a group allowed/],
	] as const) {
		it(`refuses ${person} (${reason}) and records why`, async () => {
			await configure();
			const result = await new TestBrowser().signInWithSso(service.url, person);
			assert.equal(result.status, 403);
			assert.match(result.text, message);
			assert.equal(await service.store.findUserByEmail('acme', person), undefined, 'no account was made');
			assert.ok(
				(await audit()).some((event) => event.action === 'sign_in.sso' && event.outcome === 'refused' && event.detail['reason'] === reason),
			);
		});
	}

	/** An attacker's own sign-in as alice, up to the callback address the provider sends its browser to. */
	const callbackAddress = async (attacker: TestBrowser): Promise<string> => {
		const started = await attacker.submit(`${service.url}/console/login`, '/console/sso/start', { purpose: 'console' });
		const onward = /data-target="([^"]+)"/.exec(await started.response.text())![1]!.replace(/&amp;/g, '&');
		const interaction = (await attacker.open(onward)).url;
		const back = await attacker.request(interaction, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ login: 'alice@acme.test' }),
		});
		let location = new URL(back.headers.get('location')!, interaction).href;
		while (!location.startsWith(callback)) {
			const hop = await attacker.request(location);
			location = new URL(hop.headers.get('location')!, location).href;
		}
		return location;
	};

	it('refuses a member at the console, and a callback whose state another browser holds', async () => {
		await configure();
		const member = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test');
		assert.equal(member.status, 403);
		assert.match(member.text, /only admins can use the console/);

		// Another browser starts a sign-in; an attacker hands its callback to this one.
		const victim = new TestBrowser();
		const attacker = new TestBrowser();
		const location = await callbackAddress(attacker);
		const planted = await victim.runConsoleScript(await victim.open(location));
		assert.equal(planted.response.status, 403);
		assert.match(await planted.response.text(), /started in another browser or has expired/);
		assert.equal(victim.cookie(service.url, 'opp_session'), undefined, 'no session for the victim');

		// A sibling origin (another port of this host) can set this host's cookies, the state cookie
		// included: the binding in this origin's session storage is what it cannot plant.
		const second = new TestBrowser();
		const way = await callbackAddress(second);
		victim.plant(service.url, 'opp_sso_state', second.cookie(service.url, 'opp_sso_state')!);
		const withCookie = await victim.runConsoleScript(await victim.open(way));
		assert.equal(withCookie.response.status, 403);
		assert.match(await withCookie.response.text(), /started in another browser or has expired/);
		assert.equal(victim.cookie(service.url, 'opp_session'), undefined, 'still no session for the victim');
	});

	it('gates turning password sign-in off behind a successful Test sign-in, then keeps a break-glass way in', async () => {
		const admin = await configure();
		const early = await saveSsoSettings(admin, service, idp.settings({ passwordSignIn: false }));
		assert.equal(early.status, 400);
		assert.match(early.text, /Allow password sign-in: can be turned off only after a Test sign-in succeeded/);

		const failedTest = await admin.signInWithSso(service.url, 'bob@acme.test', { purpose: 'test' });
		assert.equal(failedTest.status, 403, 'a test that signs in a mere member does not count');
		assert.match(failedTest.text, /<h1>Test sign-in failed<\/h1>/);
		assert.match(failedTest.text, /the rules make them a member, not an admin/);
		assert.match(failedTest.text, /<td id="sso-claims-groups">engineering<\/td>/);
		// The admin signs out of the identity provider and tests again as someone in the admin group.
		admin.forgetSite(idp.issuer);
		const test = await admin.signInWithSso(service.url, 'alice@acme.test', { purpose: 'test' });
		assert.equal(test.status, 200, test.text);
		assert.match(test.text, /alice@acme\.test signs in as admin/);
		assert.match(test.text, /<td id="sso-claims-groups">ai-admins, engineering<\/td>/, 'the groups the provider sent, for setting rules');
		assert.equal((await saveSsoSettings(admin, service, idp.settings({ passwordSignIn: false }))).status, 200);

		// Changing what the test vouched for (the client secret here) asks for a new test.
		const changed = await saveSsoSettings(admin, service, idp.settings({ passwordSignIn: false }), 'another-secret-value');
		assert.equal(changed.status, 400);

		await service.addUser('pat@acme.example', 'admin');
		const login = await new TestBrowser().open(`${service.url}/console/login`);
		const loginPage = await login.response.text();
		assert.match(loginPage, /Sign in with Acme ID/);
		assert.doesNotMatch(loginPage, /name="password"/, 'no password field when passwords are off');
		const pat = await new TestBrowser().submit(`${service.url}/console/login`, '/console/login', {
			email: 'pat@acme.example',
			password: 'pw-pat@acme.example-long-enough',
		});
		assert.equal(pat.response.status, 403);
		assert.match(await pat.response.text(), /signs in with single sign-on only/);

		const breakGlass = new TestBrowser();
		const signedIn = await breakGlass.submit(`${service.url}/console/login?break-glass=1`, '/console/login?break-glass=1', {
			email: 'admin@acme.example',
			password: 'correct horse battery',
		});
		assert.equal(new URL(signedIn.url).pathname, '/console/settings', 'the operator’s admin still gets in');
		const events = await audit();
		assert.ok(events.some((event) => event.action === 'sign_in.break_glass' && event.actor === 'admin@acme.example'));
		assert.ok(
			events.some(
				(event) => event.action === 'sign_in.password' && event.outcome === 'refused' && event.detail['reason'] === 'password_sign_in_off',
			),
		);
		assert.ok(events.some((event) => event.action === 'sso.test' && event.outcome === 'ok'));
		assert.ok(events.some((event) => event.action === 'sso.settings_saved' && event.detail['passwordSignIn'] === false));

		const activity = await (await breakGlass.open(`${service.url}/console/activity`)).response.text();
		assert.match(activity, /sign_in\.break_glass/);
		assert.doesNotMatch(activity, new RegExp(TEST_CLIENT.secret), 'no secret in the activity list');
	});

	it('where only SSO signs in, an invitation joins without a password and the person signs in through the provider', async () => {
		const adminToken = (await service.signIn('admin@acme.example')).access_token;
		const invited = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/members`, {
				method: 'POST',
				headers: bearer(adminToken, { 'content-type': 'application/json' }),
				body: JSON.stringify({ email: 'bob@acme.test', role: 'member' }),
			}),
		);
		// No membership rules: only people added here get in; the admin group names admins.
		const admin = await configure({ allowedDomains: [], allowedGroups: [] });
		assert.equal((await admin.signInWithSso(service.url, 'alice@acme.test', { purpose: 'test' })).status, 200);
		assert.equal(
			(await saveSsoSettings(admin, service, idp.settings({ allowedDomains: [], allowedGroups: [], passwordSignIn: false }))).status,
			200,
		);

		const bob = new TestBrowser();
		const invitation = await (await bob.open(invited.invitation.link)).response.text();
		assert.match(invitation, /Your organization signs in with <strong>Acme ID<\/strong>: no password is needed here/);
		assert.doesNotMatch(invitation, /name="password"/);
		const joined = await bob.submit(invited.invitation.link, new URL(invited.invitation.link).pathname, {});
		assert.match(await joined.response.text(), /choose <strong>Sign in with Acme ID<\/strong>/);
		assert.equal((await service.store.findUserByEmail('acme', 'bob@acme.test'))?.passwordHash, null, 'no unusable password was made');
		const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
		assert.equal((await bob.signInWithSso(service.url, 'bob@acme.test', { purpose: 'device', userCode: started.user_code })).status, 200);
		assert.equal(
			(await new TestBrowser().signInWithSso(service.url, 'dave@acme.test', { purpose: 'device' })).status,
			403,
			'someone not added is still refused',
		);
	});

	it('says single sign-on is not working, naming the provider, when the provider is down, and keeps passwords working', async () => {
		await configure();
		await idp.close();
		const browser = new TestBrowser();
		const attempt = await browser.submit(`${service.url}/console/login`, '/console/sso/start', { purpose: 'console' });
		assert.equal(attempt.response.status, 503);
		const text = await attempt.response.text();
		assert.match(
			text,
			new RegExp(
				`Single sign-on is not working right now \\(could not read the identity provider(?:'|&#39;)s discovery document at ${idp.issuer}/\\.well-known/openid-configuration`,
			),
		);
		assert.doesNotMatch(text, new RegExp(TEST_CLIENT.secret));
		assert.ok(
			(await audit()).some(
				(event) => event.action === 'sign_in.sso' && event.outcome === 'failed' && event.detail['reason'] === 'provider_unreachable',
			),
		);
		const password = await browser.submit(`${service.url}/console/login`, '/console/login', {
			email: 'admin@acme.example',
			password: 'correct horse battery',
		});
		assert.equal(new URL(password.url).pathname, '/console/settings', 'password sign-in still works while it is allowed');
	});

	it('starts with single sign-on not offered, and refuses settings whose issuer cannot be read, saying why (#28)', async () => {
		const admin = await adminConsole(service);
		const page = await (await admin.open(`${service.url}/console/sso`)).response.text();
		assert.match(page, /Not set up yet\./);
		assert.match(page, /id="sso-test" disabled aria-describedby="sso-test-why"/);
		assert.match(page, /Save the settings first: Test sign-in uses the saved ones\./, 'a disabled Test sign-in says why');
		assert.match(page, /id="scim-create" disabled aria-describedby="scim-create-why"/);
		assert.match(
			page,
			/id="scim-create-why">Save the single sign-on settings above first: the SCIM token is kept with them\./,
			'so does a disabled Create SCIM token',
		);
		assert.doesNotMatch(page, /name="enabled"[^>]*checked/, '"Offer single sign-on" starts unticked');
		const unreachable = await saveSsoSettings(admin, service, idp.settings({ issuer: 'http://127.0.0.1:9' }));
		assert.equal(unreachable.status, 400);
		assert.match(
			unreachable.text,
			/Issuer URL: could not read the identity provider&#39;s discovery document at http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration: /,
		);
		assert.doesNotMatch(unreachable.text, new RegExp(TEST_CLIENT.secret));
		assert.equal(await service.store.identity.getSsoSettings('acme'), undefined, 'nothing was saved');
		const signIn = await (await new TestBrowser().open(`${service.url}/console/login`)).response.text();
		assert.doesNotMatch(signIn, /Sign in with/, 'no single sign-on button for anyone');
	});

	it('never shows the client secret again and names the field of a bad setting', async () => {
		const admin = await configure();
		const page = await (await admin.open(`${service.url}/console/sso`)).response.text();
		assert.doesNotMatch(page, new RegExp(TEST_CLIENT.secret));
		assert.match(page, /saved — leave empty to keep it/);
		const bad = await saveSsoSettings(
			admin,
			service,
			idp.settings({ issuer: 'http://idp.acme.example', allowedDomains: ['@acme.test'] }),
			'',
		);
		assert.equal(bad.status, 400);
		assert.match(bad.text, /Issuer URL: must use https \(plain http only for localhost\)/);
		assert.match(bad.text, /Allowed e-mail domains \(entry 1\): must be domain names/);
		assert.doesNotMatch(bad.text, new RegExp(TEST_CLIENT.secret));
		const stored = await service.store.identity.getSsoSettings('acme');
		assert.equal(JSON.parse(stored!.settingsJson).issuer, idp.issuer, 'the refused save changed nothing');
	});

	it('records refused password sign-ins with the address tried and why', async () => {
		const wrong = await new TestBrowser().submit(`${service.url}/console/login`, '/console/login', {
			email: 'Mallory@acme.example',
			password: 'not the password at all',
		});
		assert.equal(wrong.response.status, 401);
		const member = await service.addUser('member@acme.example', 'member');
		await new TestBrowser().submit(`${service.url}/console/login`, '/console/login', { email: member.email, password: member.password });
		const refused = (await audit())
			.filter((event) => event.action === 'sign_in.password' && event.outcome === 'refused')
			.map((event) => `${event.actor}:${event.detail['reason']}`);
		assert.deepEqual(refused.sort(), ['mallory@acme.example:wrong_password', 'member@acme.example:not_admin']);
		assert.ok(
			(await audit()).every((event) => !JSON.stringify(event).includes('not the password at all')),
			'no password in the audit',
		);
	});

	it('takes the first organization’s settings from --sso-* flags and names a bad flag', async () => {
		const flagged = await startService({
			port: otherPort,
			settings: {
				ssoIssuer: idp.issuer,
				ssoClientId: TEST_CLIENT.id,
				ssoClientSecret: TEST_CLIENT.secret,
				ssoAllowedDomains: 'acme.test',
				ssoAdminGroups: 'ai-admins',
				ssoDisplayName: 'Acme ID',
			},
		});
		try {
			callback = `${flagged.url}/console/sso/callback`;
			assert.equal(flagged.bootstrap.warnings.length, 0);
			const result = await new TestBrowser().signInWithSso(flagged.url, 'alice@acme.test');
			assert.equal(result.status, 200, result.text);
		} finally {
			await flagged.close();
		}
		await assert.rejects(
			startService({ settings: { ssoIssuer: 'ftp://idp', ssoClientId: 'x', ssoClientSecret: 'y' } }),
			/--sso-issuer \(ORG_POLICY_SSO_ISSUER\): must be the identity provider’s https URL/,
		);
	});
});
