import assert from 'node:assert/strict';
import { parseSsoSettings, ssoFingerprint } from '../../src/server/sso/settings';
import { TEST_CLIENT } from './identity-provider';
import { ADMIN, type RunningService } from './service';
import { TestBrowser } from './sso-browser';

/** The SSO settings form's fields for a settings document (lists one per line, checkboxes "on" or absent). */
export function ssoFormFields(settings: Record<string, unknown>, clientSecret = TEST_CLIENT.secret): Record<string, string> {
	const fields: Record<string, string> = { clientSecret };
	for (const [name, value] of Object.entries(settings)) {
		if (typeof value === 'boolean') {
			if (value) {
				fields[name] = 'on';
			}
		} else if (Array.isArray(value)) {
			fields[name] = name === 'scopes' ? value.join(' ') : value.join('\n');
		} else if (value !== undefined) {
			fields[name] = String(value);
		}
	}
	return fields;
}

/** A browser signed in to the console with the bootstrap admin's password. */
export async function adminConsole(service: RunningService): Promise<TestBrowser> {
	const browser = new TestBrowser();
	const signedIn = await browser.submit(`${service.url}/console/login`, '/console/login', { email: ADMIN.email, password: ADMIN.password });
	assert.equal(new URL(signedIn.url).pathname, '/console/settings', 'the admin signed in with a password');
	return browser;
}

/** Saves SSO settings through the console's form; returns the page it answers with. */
export async function saveSsoSettings(
	browser: TestBrowser,
	service: RunningService,
	settings: Record<string, unknown>,
	clientSecret?: string,
): Promise<{ status: number; text: string }> {
	const saved = await browser.submit(`${service.url}/console/sso`, '/console/sso', ssoFormFields(settings, clientSecret));
	return { status: saved.response.status, text: await saved.response.text() };
}

/**
 * Single sign-on as if set up and tested, written straight to the store: for tests of what it
 * changes elsewhere (passwords off, roles from its rules) that need no identity provider running.
 * `tested: false` saves it without a passing test, so it is not offered yet.
 */
export async function ssoInStore(service: RunningService, settings: Record<string, unknown>, { tested = true } = {}): Promise<void> {
	const parsed = parseSsoSettings({
		enabled: true,
		displayName: 'Acme ID',
		issuer: 'https://id.acme.example',
		clientId: 'org-policy',
		...settings,
	});
	assert.ok(parsed.ok);
	await service.store.identity.saveSsoSettings({
		orgId: 'acme',
		settingsJson: JSON.stringify(parsed.value),
		clientSecret: 's3cret',
		updatedAt: 1,
		updatedBy: ADMIN.email,
		testedFingerprint: tested ? ssoFingerprint(parsed.value, 's3cret') : null,
	});
}
