import type { Role } from '../store/store';
import type { SsoSettings } from './settings';

/** What the identity provider said about the person, read through the organization's claim mapping. */
export interface IdentityClaims {
	subject: string;
	email: string | undefined;
	emailVerified: boolean;
	groups: string[];
	tenantId: string | undefined;
}

export type RefusalReason = 'no_email' | 'unverified_email' | 'domain' | 'tenant' | 'group' | 'not_member' | 'deactivated' | 'not_admin';

export type Admission = { kind: 'admit'; email: string; role: Role } | { kind: 'refuse'; reason: RefusalReason; message: string };

/** Reads the mapped claims; a claim of the wrong shape counts as absent. */
export function readClaims(raw: Record<string, unknown>, settings: SsoSettings): IdentityClaims {
	const email = raw[settings.emailClaim];
	const verified = raw[settings.emailVerifiedClaim];
	const groups = raw[settings.groupsClaim];
	const tid = raw['tid'];
	return {
		subject: String(raw['sub'] ?? ''),
		email: typeof email === 'string' && email.includes('@') ? email.trim().toLowerCase() : undefined,
		// Some providers send the boolean as a string ("true").
		emailVerified: verified === true || verified === 'true',
		groups: Array.isArray(groups)
			? groups.filter((group): group is string => typeof group === 'string')
			: typeof groups === 'string'
				? [groups]
				: [],
		tenantId: typeof tid === 'string' ? tid : undefined,
	};
}

const refuse = (reason: RefusalReason, message: string): Admission => ({ kind: 'refuse', reason, message });

/**
 * The organization's membership rules applied to one person. Every rule that is set must hold;
 * the e-mail address must always be verified, since it is what names the account.
 */
export function admit(settings: SsoSettings, claims: IdentityClaims): Admission {
	const { email } = claims;
	if (!email) {
		return refuse(
			'no_email',
			`Your identity provider sent no e-mail address (claim "${settings.emailClaim}"). Ask your admin to add it to the ID token.`,
		);
	}
	if (!claims.emailVerified) {
		return refuse(
			'unverified_email',
			`Your identity provider has not verified the e-mail address ${email} (claim "${settings.emailVerifiedClaim}"). Verify it there, then sign in again.`,
		);
	}
	const domain = email.slice(email.lastIndexOf('@') + 1);
	if (settings.allowedDomains.length > 0 && !settings.allowedDomains.includes(domain)) {
		return refuse('domain', `${email} is not in a domain this organization accepts (${settings.allowedDomains.join(', ')}).`);
	}
	if (settings.tenantIds.length > 0 && (!claims.tenantId || !settings.tenantIds.includes(claims.tenantId))) {
		return refuse('tenant', `You signed in with a directory (tenant) this organization does not accept.`);
	}
	if (settings.allowedGroups.length > 0 && !claims.groups.some((group) => settings.allowedGroups.includes(group))) {
		return refuse('group', `${email} is not in a group allowed to use this organization's AI endpoint. Ask your admin to add you.`);
	}
	const isAdmin = settings.adminEmails.includes(email) || claims.groups.some((group) => settings.adminGroups.includes(group));
	return { kind: 'admit', email, role: isAdmin ? 'admin' : 'member' };
}

/** Whether the rules name admins at all: only then does a sign-in also decide the role. */
export function rulesNameAdmins(settings: SsoSettings): boolean {
	return settings.adminEmails.length > 0 || settings.adminGroups.length > 0;
}
