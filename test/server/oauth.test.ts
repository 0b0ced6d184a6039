import assert from 'node:assert/strict';
import {
	ADMIN,
	approveDevice,
	bearer,
	EventReader,
	form,
	ManualClock,
	startService,
	jsonOf,
	submitPageForm,
	type RunningService,
} from '../support/service';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('member sign-in: RFC 8628 device flow and tokens', () => {
	let service: RunningService;
	let clock: ManualClock;

	beforeEach(async () => {
		clock = new ManualClock();
		service = await startService({ clock, loginRateLimit: 50 });
		await service.addUser('dev@acme.example', 'member');
	});
	afterEach(async () => service.close());

	const authorize = async () => {
		const response = await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' });
		assert.equal(response.status, 200);
		assert.equal(response.headers.get('cache-control'), 'no-store');
		return (await jsonOf(response)) as {
			device_code: string;
			user_code: string;
			verification_uri: string;
			verification_uri_complete: string;
			expires_in: number;
			interval: number;
		};
	};
	const poll = async (deviceCode: string) => {
		const response = await form(`${service.url}/oauth/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'vscode' });
		return { status: response.status, body: (await jsonOf(response)) as Record<string, unknown> };
	};
	const approve = (userCode: string, action: 'approve' | 'deny' = 'approve', password = 'pw-dev@acme.example-long-enough') =>
		approveDevice(service.url, userCode, 'dev@acme.example', password, action);

	it('issues codes as RFC 8628 §3.2 describes', async () => {
		const started = await authorize();
		assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
		assert.equal(started.verification_uri, `${service.url}/device`);
		assert.equal(started.verification_uri_complete, `${service.url}/device?user_code=${started.user_code}`);
		assert.equal(started.expires_in, 900);
		assert.equal(started.interval, 5);
		const unknownClient = await form(`${service.url}/oauth/device_authorization`, { client_id: 'someone-else' });
		assert.equal(unknownClient.status, 401);
		assert.equal((await jsonOf(unknownClient)).error, 'invalid_client');
	});

	it('answers authorization_pending, then slow_down with a 5 s longer interval, then the tokens once', async () => {
		const started = await authorize();
		assert.deepEqual((await poll(started.device_code)).body.error, 'authorization_pending');
		clock.advance(2000);
		const tooFast = await poll(started.device_code);
		assert.equal(tooFast.status, 400);
		assert.equal(tooFast.body.error, 'slow_down');
		clock.advance(6000); // more than the old 5 s interval, less than the new 10 s
		assert.equal((await poll(started.device_code)).body.error, 'slow_down');
		clock.advance(16_000);
		assert.equal((await poll(started.device_code)).body.error, 'authorization_pending');

		const page = await fetch(started.verification_uri_complete);
		const html = await page.text();
		assert.match(html, /Acme Corp/);
		assert.ok(html.includes(`value="${started.user_code}"`));
		const approval = await approve(started.user_code.toLowerCase().replace('-', ''));
		assert.equal(approval.status, 200);
		assert.match(await approval.text(), /Approved\. VS Code is now signed in to Acme Corp as dev@acme\.example/);

		clock.advance(20_000);
		const granted = await poll(started.device_code);
		assert.equal(granted.status, 200);
		assert.equal(granted.body.token_type, 'Bearer');
		assert.equal(granted.body.expires_in, 3600);
		assert.match(String(granted.body.access_token), /^opp_at_/);
		assert.match(String(granted.body.refresh_token), /^opp_rt_/);
		assert.deepEqual(granted.body.organization, { id: 'acme', name: 'Acme Corp' });
		assert.equal((granted.body.policy_signing_key as { alg: string }).alg, 'Ed25519');
		clock.advance(20_000);
		assert.equal((await poll(started.device_code)).body.error, 'invalid_grant', 'a device code is good for one token response');
	});

	it('answers access_denied when the member denies, and refuses wrong passwords on the page', async () => {
		const started = await authorize();
		const wrong = await approve(started.user_code, 'approve', 'not the password');
		assert.equal(wrong.status, 401);
		assert.match(await wrong.text(), /Wrong email or password/);
		assert.equal((await approve(started.user_code, 'deny')).status, 200);
		assert.equal((await poll(started.device_code)).body.error, 'access_denied');
	});

	it('answers expired_token once the code has expired, and the page refuses it', async () => {
		const started = await authorize();
		clock.advance(901_000);
		assert.equal((await poll(started.device_code)).body.error, 'expired_token');
		const late = await approve(started.user_code);
		assert.equal(late.status, 400);
		assert.match(await late.text(), /not valid or has expired/);
	});

	it('refuses unknown grants and incomplete requests', async () => {
		const unsupported = await form(`${service.url}/oauth/token`, { grant_type: 'password', username: 'a', password: 'b' });
		assert.equal(unsupported.status, 400);
		assert.equal((await jsonOf(unsupported)).error, 'unsupported_grant_type');
		const incomplete = await form(`${service.url}/oauth/token`, { grant_type: DEVICE_GRANT, client_id: 'vscode' });
		assert.deepEqual(await jsonOf(incomplete), { error: 'invalid_request', error_description: 'device_code: is required' });
		assert.equal((await poll('opp_dc_unknown')).body.error, 'invalid_grant');
	});

	it('says what a request without grant_type, or without a body, lacks, in the form an OAuth client sends', async () => {
		const noGrant = await form(`${service.url}/oauth/token`, { refresh_token: 'x', client_id: 'vscode' });
		assert.equal(noGrant.status, 400);
		assert.deepEqual(await jsonOf(noGrant), {
			error: 'invalid_request',
			error_description:
				'grant_type: is required (urn:ietf:params:oauth:grant-type:device_code, refresh_token or urn:ietf:params:oauth:grant-type:token-exchange)',
		});
		const twice = await fetch(`${service.url}/oauth/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=vscode',
		});
		assert.deepEqual(await jsonOf(twice), { error: 'invalid_request', error_description: 'refresh_token: must be sent once' });
		for (const endpoint of ['token', 'device_authorization', 'revoke']) {
			const empty = await fetch(`${service.url}/oauth/${endpoint}`, { method: 'POST' });
			assert.equal(empty.status, 400, endpoint);
			assert.equal(empty.headers.get('cache-control'), 'no-store');
			assert.deepEqual(await jsonOf(empty), {
				error: 'invalid_request',
				error_description: 'the request has no body: send its parameters as a form (Content-Type: application/x-www-form-urlencoded)',
			});
		}
	});

	it("refuses a body it cannot read in OAuth's shape too: not JSON, of another type, too large (RFC 6749 §5.2)", async () => {
		const send = (endpoint: string, contentType: string, body: string) =>
			fetch(`${service.url}/oauth/${endpoint}`, { method: 'POST', headers: { 'content-type': contentType }, body });
		const refusals = [
			[await send('token', 'application/json', '{"grant_type": '), 400, /^the body is not valid JSON/],
			[
				await send('device_authorization', 'text/plain', 'client_id=vscode'),
				415,
				/^Content-Type: text\/plain is not read here; the body must be a form/,
			],
			[
				await send('revoke', 'application/x-www-form-urlencoded', `token=${'x'.repeat(2_000_000)}`),
				413,
				/^the body is larger than \d+ bytes/,
			],
		] as const;
		for (const [response, status, description] of refusals) {
			assert.equal(response.status, status);
			assert.equal(response.headers.get('cache-control'), 'no-store');
			const body = await jsonOf(response);
			assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], JSON.stringify(body));
			assert.equal(body.error, 'invalid_request');
			assert.match(body.error_description, description);
		}
		// The rest of the API keeps its own shape.
		const member = (await service.signIn('dev@acme.example')).access_token;
		const api = await fetch(`${service.url}/api/v1/usage`, {
			method: 'POST',
			headers: bearer(member, { 'content-type': 'text/plain' }),
			body: 'x',
		});
		assert.equal(api.status, 415);
		assert.equal((await jsonOf(api)).error, 'unsupported_media_type');
	});

	it('answers invalid_client (401) to a client it does not know, before looking at its code or token (RFC 6749 §5.2)', async () => {
		const started = await authorize();
		const byDevice = await form(`${service.url}/oauth/token`, {
			grant_type: DEVICE_GRANT,
			device_code: started.device_code,
			client_id: 'someone-else',
		});
		assert.equal(byDevice.status, 401);
		assert.deepEqual(await jsonOf(byDevice), {
			error: 'invalid_client',
			error_description: 'unknown client_id; the VS Code extension uses "vscode"',
		});
		assert.equal(byDevice.headers.get('cache-control'), 'no-store');
		const byRefresh = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: 'opp_rt_unknown',
			client_id: 'someone-else',
		});
		assert.equal(byRefresh.status, 401);
		assert.equal((await jsonOf(byRefresh)).error, 'invalid_client');
		// The code itself was not touched: VS Code's own poll still finds it pending.
		assert.equal((await poll(started.device_code)).body.error, 'authorization_pending');
	});

	it('rotates refresh tokens, and a replayed one revokes the whole sign-in', async () => {
		const first = await service.signIn('dev@acme.example');
		const refresh = (token: string) =>
			form(`${service.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: 'vscode' });
		const rotated = await refresh(first.refresh_token);
		assert.equal(rotated.status, 200);
		const second = (await jsonOf(rotated)) as { access_token: string; refresh_token: string };
		assert.notEqual(second.refresh_token, first.refresh_token);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(second.access_token) })).status, 200);

		// Past the moments in which another window of the same member may still refresh it.
		clock.advance(61_000);
		const replay = await refresh(first.refresh_token);
		assert.equal(replay.status, 400);
		assert.equal((await jsonOf(replay)).error, 'invalid_grant');
		// The replay ended the family: the newest tokens are dead too.
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(second.access_token) })).status, 401);
		const legitimate = await refresh(second.refresh_token);
		assert.equal(legitimate.status, 400);
		// The member's own VS Code is told why it was signed out.
		assert.equal((await jsonOf(legitimate)).error_description, 'its refresh token was used twice, so a copy of it may exist elsewhere');
	});

	it('lets the windows of one VS Code refresh their shared sign-in at once, and a retry after a lost answer, within a minute', async () => {
		const first = await service.signIn('dev@acme.example');
		const refresh = (token: string) =>
			form(`${service.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: 'vscode' });
		// Three windows, their event streams ended by the same expiry, refresh the same token together.
		const answers = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token), refresh(first.refresh_token)]);
		assert.deepEqual(
			answers.map((answer) => answer.status),
			[200, 200, 200],
		);
		const issued = (await Promise.all(answers.map(jsonOf))) as { access_token: string; refresh_token: string }[];
		assert.equal(new Set(issued.map((tokens) => tokens.refresh_token)).size, 3, 'each window gets tokens of its own');
		for (const tokens of issued) {
			assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 200);
		}
		// An answer lost on the way: asked again 59 s after the rotation, it is answered too.
		clock.advance(59_000);
		assert.equal((await refresh(first.refresh_token)).status, 200);
		// After that it is a replay: the whole sign-in ends, every window's tokens with it.
		clock.advance(2_000);
		const replay = await refresh(first.refresh_token);
		assert.equal(replay.status, 400);
		assert.match(String((await jsonOf(replay)).error_description), /already used/);
		for (const tokens of issued) {
			assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 401);
			assert.equal((await refresh(tokens.refresh_token)).status, 400);
		}
	});

	it('expires access tokens after an hour', async () => {
		const tokens = await service.signIn('dev@acme.example');
		clock.advance(3599_000);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 200);
		clock.advance(2_000);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 401);
	});

	it('revokes tokens on sign-out (RFC 7009)', async () => {
		const tokens = await service.signIn('dev@acme.example');
		assert.equal((await form(`${service.url}/oauth/revoke`, { token: tokens.refresh_token })).status, 200);
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 401);
		const refreshed = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: tokens.refresh_token,
			client_id: 'vscode',
		});
		assert.equal((await jsonOf(refreshed)).error_description, 'this sign-in was signed out (here, or from another window)');
		assert.equal((await form(`${service.url}/oauth/revoke`, { token: 'never-issued' })).status, 200);
	});

	it('removing a member revokes their tokens at once and ends their event stream', async () => {
		const admin = await service.signIn(ADMIN.email);
		const tokens = await service.signIn('dev@acme.example');
		const stream = new EventReader(await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(tokens.access_token) }));
		assert.equal((await stream.next())?.event, 'policy');

		const removed = await fetch(`${service.url}/api/v1/admin/members/${tokens.user.id}`, {
			method: 'DELETE',
			headers: bearer(admin.access_token),
		});
		assert.equal(removed.status, 204);
		assert.equal((await stream.next())?.event, 'revoked');
		assert.equal(await stream.next(), undefined, 'the stream ends after the revocation event');
		assert.equal((await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) })).status, 401);
		const refresh = await form(`${service.url}/oauth/token`, {
			grant_type: 'refresh_token',
			refresh_token: tokens.refresh_token,
			client_id: 'vscode',
		});
		const refused = await jsonOf(refresh);
		assert.equal(refused.error, 'invalid_grant');
		// What the member's extension shows them: what happened, not a generic refusal.
		assert.equal(refused.error_description, 'this account was removed from the organization');
	});

	it('refuses to remove the last admin', async () => {
		const admin = await service.signIn(ADMIN.email);
		const response = await fetch(`${service.url}/api/v1/admin/members/${admin.user.id}`, {
			method: 'DELETE',
			headers: bearer(admin.access_token),
		});
		assert.equal(response.status, 409);
		assert.equal((await jsonOf(response)).error, 'last_admin');
	});

	it('invites a member with a one-time link that sets their password', async () => {
		const admin = await service.signIn(ADMIN.email);
		const invited = await fetch(`${service.url}/api/v1/admin/members`, {
			method: 'POST',
			headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
			body: JSON.stringify({ email: 'new@acme.example' }),
		});
		assert.equal(invited.status, 201);
		const { invitation } = await jsonOf(invited);
		assert.match(invitation.link, new RegExp(`^${service.url}/invite/opp_inv_`));
		const page = await (await fetch(invitation.link)).text();
		assert.match(page, /For <strong id="invited-account">new@acme\.example<\/strong>\./, 'the set-password page names the account');
		assert.match(page, /name="username" value="new@acme\.example" autocomplete="username"/, 'for password managers');
		assert.equal((await submitPageForm(invitation.link, { password: 'short' })).status, 400);
		assert.equal((await submitPageForm(invitation.link, { password: 'a long enough password' })).status, 200);
		assert.equal((await submitPageForm(invitation.link, { password: 'a long enough password' })).status, 404, 'the link works once');
		await service.signIn('new@acme.example', 'a long enough password');
	});
});

describe('login rate limit', () => {
	it('answers 429 after too many attempts from one address', async () => {
		const service = await startService({ loginRateLimit: 3 });
		try {
			const attempt = () => submitPageForm(`${service.url}/console/login`, { email: ADMIN.email, password: 'guess' });
			const statuses = [];
			for (let i = 0; i < 4; i++) {
				statuses.push((await attempt()).status);
			}
			assert.deepEqual(statuses, [401, 401, 401, 429]);
		} finally {
			await service.close();
		}
	});
});
