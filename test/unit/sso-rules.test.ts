import assert from 'node:assert/strict';
import { admit, readClaims } from '../../src/server/sso/membership';
import { labelled, parseSsoSettings, ssoFieldError, ssoFingerprint, type SsoSettings } from '../../src/server/sso/settings';

function settings(overrides: Record<string, unknown> = {}): SsoSettings {
	const parsed = parseSsoSettings({ issuer: 'https://login.acme.example', clientId: 'client', ...overrides });
	assert.ok(parsed.ok, JSON.stringify(parsed));
	return parsed.value;
}

const claims = (raw: Record<string, unknown>, rules = settings()) => readClaims({ sub: 's1', ...raw }, rules);

describe('single sign-on membership rules', () => {
	it('admits a verified address in an allowed domain and group; an admin by group or by address', () => {
		const rules = settings({
			allowedDomains: ['acme.example'],
			allowedGroups: ['eng'],
			adminGroups: ['ai-admins'],
			adminEmails: ['boss@acme.example'],
		});
		assert.deepEqual(admit(rules, claims({ email: 'Dev@Acme.example', email_verified: true, groups: ['eng'] })), {
			kind: 'admit',
			email: 'dev@acme.example',
			role: 'member',
		});
		assert.equal(
			(admit(rules, claims({ email: 'ops@acme.example', email_verified: true, groups: ['eng', 'ai-admins'] })) as { role: string }).role,
			'admin',
		);
		assert.equal(
			(admit(rules, claims({ email: 'boss@acme.example', email_verified: 'true', groups: 'eng' })) as { role: string }).role,
			'admin',
			'string forms of the boolean and a single group',
		);
	});

	it('refuses without an address, an unverified one, another domain, another tenant or no allowed group', () => {
		const rules = settings({ allowedDomains: ['acme.example'], tenantIds: ['t-1'], allowedGroups: ['eng'] });
		const reason = (raw: Record<string, unknown>) => {
			const result = admit(rules, claims(raw, rules));
			return result.kind === 'refuse' ? result.reason : 'admitted';
		};
		const good = { email: 'dev@acme.example', email_verified: true, groups: ['eng'], tid: 't-1' };
		assert.equal(reason(good), 'admitted');
		assert.equal(reason({ ...good, email: undefined }), 'no_email');
		assert.equal(reason({ ...good, email_verified: false }), 'unverified_email');
		assert.equal(reason({ ...good, email: 'dev@acme.example.evil' }), 'domain');
		assert.equal(reason({ ...good, email: 'dev@sub.acme.example' }), 'domain', 'a subdomain is another domain');
		assert.equal(reason({ ...good, tid: 't-2' }), 'tenant');
		assert.equal(reason({ ...good, tid: undefined }), 'tenant');
		assert.equal(reason({ ...good, groups: ['sales'] }), 'group');
	});

	it("reads the claims the organization mapped (Entra ID's xms_edov, a custom groups claim)", () => {
		const rules = settings({ emailClaim: 'upn_mail', emailVerifiedClaim: 'xms_edov', groupsClaim: 'roles' });
		assert.deepEqual(readClaims({ sub: 'x', upn_mail: 'a@b.example', xms_edov: true, roles: ['r', 7], tid: 't' }, rules), {
			subject: 'x',
			email: 'a@b.example',
			emailVerified: true,
			groups: ['r'],
			tenantId: 't',
		});
		assert.equal(
			readClaims({ sub: 'x', email: 'a@b.example', email_verified: true }, rules).email,
			undefined,
			'the unmapped claim is not read',
		);
	});
});

describe('single sign-on settings', () => {
	it('names the field by its console label, and refuses plain http beyond this machine', () => {
		const parsed = parseSsoSettings({
			issuer: 'http://idp.acme.example',
			clientId: '',
			scopes: ['email'],
			allowedDomains: ['https://acme.example'],
		});
		assert.equal(parsed.ok, false);
		const errors = parsed.ok ? [] : parsed.errors.map(ssoFieldError).map(labelled);
		assert.ok(errors.includes('Issuer URL: must use https (plain http only for localhost)'), errors.join('\n'));
		assert.ok(errors.includes('Client ID: is required'), errors.join('\n'));
		assert.ok(errors.includes('Scopes: must include openid'), errors.join('\n'));
		assert.ok(
			errors.some((error) => error.startsWith('Allowed e-mail domains (entry 1): must be domain names')),
			errors.join('\n'),
		);
		assert.equal(parseSsoSettings({ issuer: 'http://localhost:8080/realms/acme', clientId: 'c' }).ok, true);
	});

	it('changes the fingerprint a Test sign-in vouches for only with what decides who gets in', () => {
		const base = settings({ allowedDomains: ['acme.example'] });
		const fingerprint = ssoFingerprint(base, 'secret');
		assert.equal(ssoFingerprint({ ...base, enabled: !base.enabled, passwordSignIn: false, displayName: 'Okta' }, 'secret'), fingerprint);
		assert.notEqual(ssoFingerprint(base, 'other secret'), fingerprint);
		assert.notEqual(ssoFingerprint({ ...base, allowedDomains: ['acme.example', 'evil.example'] }, 'secret'), fingerprint);
		assert.notEqual(ssoFingerprint({ ...base, issuer: 'https://other.example' }, 'secret'), fingerprint);
	});
});
