import type { ServerConfig } from '../config';
import type { SsoAdministration } from './administration';

const split = (value: string | undefined, separator: RegExp) =>
	value
		? value
				.split(separator)
				.map((entry) => entry.trim())
				.filter(Boolean)
		: undefined;
const kebab = (field: string) => field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * `--sso-*` flags on the organization's first start with them: saved as its single sign-on
 * settings (offered, passwords still on, untested). Later the console owns them, and flags that
 * would change them are reported as ignored. Returns the warnings.
 */
export async function bootstrapSso(sso: Pick<SsoAdministration, 'view' | 'save'>, config: ServerConfig): Promise<string[]> {
	if (!config.ssoIssuer) {
		return [];
	}
	if ((await sso.view(config.orgId)).settings) {
		return [
			'--sso-* flags (ORG_POLICY_SSO_*) are ignored: this organization’s single sign-on settings are kept in the console now; change them there.',
		];
	}
	const input = {
		enabled: true,
		issuer: config.ssoIssuer,
		clientId: config.ssoClientId,
		displayName: config.ssoDisplayName,
		scopes: split(config.ssoScopes, /[\s,]+/),
		emailClaim: config.ssoEmailClaim,
		emailVerifiedClaim: config.ssoEmailVerifiedClaim,
		groupsClaim: config.ssoGroupsClaim,
		allowedDomains: split(config.ssoAllowedDomains, /,/),
		tenantIds: split(config.ssoTenantIds, /,/),
		allowedGroups: split(config.ssoAllowedGroups, /,/),
		adminGroups: split(config.ssoAdminGroups, /,/),
		adminEmails: split(config.ssoAdminEmails, /,/),
	};
	const result = await sso.save(
		config.orgId,
		Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)),
		config.ssoClientSecret,
		'system',
	);
	if (result.kind === 'invalid') {
		// Named as the flags an operator typed, not as the console's fields.
		const lines = result.errors.map(
			({ field, entry, message }) =>
				`--sso-${kebab(field)} (ORG_POLICY_SSO_${kebab(field).replace(/-/g, '_').toUpperCase()})${entry !== undefined ? ` entry ${entry}` : ''}: ${message}`,
		);
		throw new Error(`invalid single sign-on flags:\n  ${lines.join('\n  ')}`);
	}
	return [];
}
