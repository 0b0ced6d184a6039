import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { redactUrl, requestLogSerializers } from '../../src/server/log-redaction';
import { ADMIN, form, jsonOf, bearer, startService } from '../support/service';

describe('service logs', () => {
	it('never contain invitation or password reset tokens, device codes or bearer tokens', async () => {
		const lines: string[] = [];
		const stream = new Writable({
			write(chunk, _encoding, done) {
				lines.push(String(chunk));
				done();
			},
		});
		const service = await startService({ logger: { level: 'info', stream, serializers: requestLogSerializers } });
		try {
			const admin = await service.signIn(ADMIN.email);
			const invited = await jsonOf(
				await fetch(`${service.url}/api/v1/admin/members`, {
					method: 'POST',
					headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
					body: JSON.stringify({ email: 'new@acme.example' }),
				}),
			);
			const link: string = invited.invitation.link;
			await fetch(link);
			await form(link, { password: 'a long enough password' });
			const member = await service.addUser('dev@acme.example', 'member');
			const reset = await jsonOf(
				await fetch(`${service.url}/api/v1/admin/members/${member.id}/password-reset`, {
					method: 'POST',
					headers: bearer(admin.access_token),
				}),
			);
			await fetch(reset.link);
			await form(reset.link, { password: 'a long enough password' });
			const started = await jsonOf(await form(`${service.url}/oauth/device_authorization`, { client_id: 'vscode' }));
			await fetch(`${service.url}/device?user_code=${started.user_code}`);
			const log = lines.join('');
			assert.ok(log.includes('/invite/[redacted]'), 'the invitation requests were logged');
			assert.ok(log.includes('/reset/[redacted]'), 'the password reset requests were logged');
			for (const secret of [
				link.split('/invite/')[1]!,
				reset.link.split('/reset/')[1]!,
				started.user_code,
				started.device_code,
				admin.access_token,
				admin.refresh_token,
			]) {
				assert.ok(!log.includes(secret), `a secret reached the log: ${secret.slice(0, 10)}…`);
			}
		} finally {
			await service.close();
		}
	});

	it('redacts URL secrets', () => {
		assert.equal(redactUrl('/invite/opp_inv_abc'), '/invite/[redacted]');
		assert.equal(redactUrl('/reset/opp_pwr_abc'), '/reset/[redacted]');
		assert.equal(redactUrl('/device?user_code=ABCD-EFGH'), '/device?[redacted]');
		assert.equal(redactUrl('/api/v1/policy'), '/api/v1/policy');
	});
});
