import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { parseConfig } from '../../src/server/config';
import { smtpMailer } from '../../src/server/mail';
import { eventually } from '../support/eventually';
import { SmtpSink } from '../support/smtp-sink';
import { ADMIN, bearer, jsonOf, startService, submitPageForm, type RunningService } from '../support/service';

describe('invitation and password reset e-mail through SMTP, off by default (#14 item 7)', function () {
	this.timeout(20_000);
	let sink: SmtpSink;
	let service: RunningService | undefined;

	beforeEach(async () => {
		sink = await SmtpSink.start();
	});
	afterEach(async () => {
		await service?.close();
		service = undefined;
		await sink.close();
	});

	const invite = async (running: RunningService, email: string) => {
		const admin = await running.signIn(ADMIN.email);
		const response = await fetch(`${running.url}/api/v1/admin/members`, {
			method: 'POST',
			headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
			body: JSON.stringify({ email, role: 'member' }),
		});
		assert.equal(response.status, 201);
		return (await jsonOf(response)).invitation;
	};

	it('sends nothing and says so when SMTP is not configured', async () => {
		service = await startService();
		const invitation = await invite(service, 'new@acme.example');
		assert.equal(invitation.emailed, false);
		assert.equal(invitation.emailError, undefined);
		assert.equal(sink.messages.length, 0);
	});

	it('e-mails the one-time link from the configured address when SMTP is configured', async () => {
		service = await startService({ settings: { smtpUrl: sink.url, smtpFrom: 'Acme AI <ai@acme.example>' } });
		const invitation = await invite(service, 'new@acme.example');
		assert.equal(invitation.emailed, true);
		assert.equal(sink.messages.length, 1);
		const [message] = sink.messages;
		assert.deepEqual(message!.to, ['new@acme.example']);
		assert.equal(message!.from, 'ai@acme.example');
		assert.match(message!.raw, /Subject: Acme Corp: your invitation to the AI provider policy/);
		assert.ok(message!.raw.replace(/=\r?\n/g, '').includes(invitation.link), 'the link is in the message');
	});

	it('keeps the invitation and tells the admin why when the mail server refuses it', async () => {
		sink.refuse = 'mailbox unavailable';
		service = await startService({ settings: { smtpUrl: sink.url, smtpFrom: 'ai@acme.example' } });
		const invitation = await invite(service, 'nobody@acme.example');
		assert.equal(invitation.emailed, false);
		assert.match(invitation.emailError, /550/);
		assert.ok(!invitation.emailError.includes(sink.url), 'the SMTP URL (which may hold a password) is never shown');
		assert.match(invitation.link, /\/invite\//, 'the admin still has the link');
	});

	it('e-mails a password reset link to the member, and says when the mail server refused it', async () => {
		service = await startService({ settings: { smtpUrl: sink.url, smtpFrom: 'Acme AI <ai@acme.example>' } });
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const dev = await service.addUser('dev@acme.example', 'member');
		const reset = () => fetch(`${service!.url}/api/v1/admin/members/${dev.id}/password-reset`, { method: 'POST', headers: bearer(admin) });
		const sent = await jsonOf(await reset());
		assert.equal(sent.emailed, true);
		assert.equal(sink.messages.length, 1);
		const [message] = sink.messages;
		assert.deepEqual(message!.to, ['dev@acme.example']);
		assert.match(message!.raw, /Subject: Acme Corp: set a new password/);
		const body = message!.raw.replace(/=\r?\n/g, '');
		assert.ok(body.includes(sent.link), 'the link is in the message');
		assert.match(body, /admin@acme\.example sent you a link to set a new password/);

		sink.refuse = 'mailbox unavailable';
		const refused = await jsonOf(await reset());
		assert.equal(refused.emailed, false);
		assert.match(refused.emailError, /550/);
		assert.match(refused.link, /\/reset\//, 'the admin still has the link');
		assert.equal((await fetch(refused.link)).status, 200);
	});

	it('tells the person by e-mail when their password changed, with a reset link or on the members’ page', async () => {
		service = await startService({ settings: { smtpUrl: sink.url, smtpFrom: 'Acme AI <ai@acme.example>' } });
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const dev = await service.addUser('dev@acme.example', 'member');
		const made = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/members/${dev.id}/password-reset`, { method: 'POST', headers: bearer(admin) }),
		);
		assert.equal((await submitPageForm(made.link, { password: 'a fresh passphrase for spring' })).status, 200);
		await eventually('the notice of the reset', async () => sink.messages.length === 2);
		const notice = sink.messages[1]!;
		assert.deepEqual(notice.to, ['dev@acme.example']);
		assert.match(notice.raw, /Subject: Acme Corp: your password was changed/);
		const reset = notice.raw.replace(/=\r?\n/g, '');
		assert.match(reset, /was set with a one-time reset link on /);
		assert.match(reset, /Your VS Code sign-ins ended/);
		assert.match(reset, /If this was not you, tell your admin at once\./);
		assert.ok(!reset.includes('a fresh passphrase for spring'), 'never the password');

		const changed = await submitPageForm(`${service.url}/account/password`, {
			email: dev.email,
			current: 'a fresh passphrase for spring',
			password: 'another passphrase for autumn',
			repeat: 'another passphrase for autumn',
		});
		assert.equal(changed.status, 200);
		await eventually('the notice of the change', async () => sink.messages.length === 3);
		const own = sink.messages[2]!.raw.replace(/=\r?\n/g, '');
		assert.match(own, /was changed with the current one on /);
		assert.doesNotMatch(own, /sign-ins ended/);
	});

	it('gives up on a mail server that never answers in seconds, not minutes, and keeps the invitation', async () => {
		// Accepts the connection and says nothing: what a stuck or wrongly addressed relay does.
		const silent = createServer(() => undefined);
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		try {
			const url = `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
			service = await startService({
				mailer: smtpMailer(url, 'ai@acme.example', { connectionTimeout: 2000, greetingTimeout: 300, socketTimeout: 2000 }),
			});
			const invitation = await invite(service, 'new@acme.example');
			assert.equal(invitation.emailed, false);
			assert.match(invitation.emailError, /ETIMEDOUT/);
			assert.match(invitation.link, /\/invite\//, 'the admin still has the link');
		} finally {
			silent.close();
		}
	});

	it('needs a sender address with --smtp-url, naming the flag', () => {
		assert.throws(
			() => parseConfig(['--smtp-url', 'smtp://mail.acme.example:587'], {}),
			/--smtp-from \(ORG_POLICY_SMTP_FROM\): is required with --smtp-url/,
		);
		assert.throws(
			() => parseConfig(['--smtp-url', 'http://mail.acme.example'], {}),
			/--smtp-url \(ORG_POLICY_SMTP_URL\): must be an smtp:\/\/ or smtps:\/\/ URL/,
		);
	});
});
