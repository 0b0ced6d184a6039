import { createHash } from 'node:crypto';
import * as z from 'zod';
import { parseWith, type FieldError, type ParseResult } from '../../policy';
import { couldBeAddress } from '../accounts/email-address';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain http only for an identity provider on this machine (development, tests); https otherwise. */
export function isLoopbackHttp(url: URL): boolean {
	return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

const list = <T extends z.ZodType<string>>(item: T) => z.array(item).max(200, 'at most 200 entries').default([]);
const domain = z
	.string()
	.trim()
	.toLowerCase()
	.regex(
		/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/,
		'must be domain names like acme.example (no @, no scheme)',
	);
const claimName = z
	.string()
	.trim()
	.regex(/^[A-Za-z0-9_:./-]{1,100}$/, 'must be a claim name (letters, digits, _ : . / -)');

/**
 * An organization's single sign-on settings, without the client secret (kept apart, never shown).
 * Membership: a person may sign in when every rule set here holds; a person with no account is
 * created on first sign-in (just in time) only when at least one rule is set.
 */
export const SsoSettingsSchema = z.strictObject({
	/** Offered on the sign-in and device pages. */
	enabled: z.boolean().default(false),
	/** What the button says: "Sign in with Okta". */
	displayName: z.string().trim().min(1, 'is required').max(60, 'must be at most 60 characters').default('single sign-on'),
	issuer: z
		.url({
			protocol: /^https?$/,
			error: 'must be the identity provider’s https URL (its discovery document is at /.well-known/openid-configuration under it)',
		})
		.refine(
			(value) => new URL(value).protocol === 'https:' || isLoopbackHttp(new URL(value)),
			'must use https (plain http only for localhost)',
		)
		.transform((value) => value.replace(/\/+$/, '')),
	clientId: z.string().trim().min(1, 'is required').max(500, 'must be at most 500 characters'),
	scopes: z
		.array(
			z
				.string()
				.trim()
				.regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'must be scope names separated by spaces'),
		)
		.max(20, 'at most 20 scopes')
		.default(['openid', 'email', 'profile'])
		.refine((scopes) => scopes.includes('openid'), 'must include openid'),
	emailClaim: claimName.default('email'),
	/** Entra ID does not send `email_verified`; its optional claim `xms_edov` says the same. */
	emailVerifiedClaim: claimName.default('email_verified'),
	groupsClaim: claimName.default('groups'),
	allowedDomains: list(domain),
	tenantIds: list(
		z
			.string()
			.trim()
			.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be tenant ids (a GUID for Entra ID)'),
	),
	allowedGroups: list(z.string().trim().min(1).max(256)),
	adminGroups: list(z.string().trim().min(1).max(256)),
	adminEmails: list(z.string().trim().toLowerCase().refine(couldBeAddress, 'must be e-mail addresses')),
	/** Off: only single sign-on (and the operator's break-glass admins) can sign in. */
	passwordSignIn: z.boolean().default(true),
});

export type SsoSettings = z.infer<typeof SsoSettingsSchema>;
export type SsoSettingsInput = z.input<typeof SsoSettingsSchema>;

/** Each field's name on the console's form, for errors that say which field is wrong. */
export const SSO_FIELD_LABELS: Readonly<Record<keyof SsoSettings | 'clientSecret', string>> = {
	enabled: 'Offer single sign-on',
	displayName: 'Button label',
	issuer: 'Issuer URL',
	clientId: 'Client ID',
	clientSecret: 'Client secret',
	scopes: 'Scopes',
	emailClaim: 'E-mail claim',
	emailVerifiedClaim: 'E-mail verified claim',
	groupsClaim: 'Groups claim',
	allowedDomains: 'Allowed e-mail domains',
	tenantIds: 'Entra tenant IDs',
	allowedGroups: 'Allowed groups',
	adminGroups: 'Admin groups',
	adminEmails: 'Admin e-mails',
	passwordSignIn: 'Allow password sign-in',
};

export function parseSsoSettings(input: unknown): ParseResult<SsoSettings> {
	return parseWith(SsoSettingsSchema, input);
}

export type SsoField = keyof typeof SSO_FIELD_LABELS;

/** A refused setting: which field (and which entry of a list), and why. */
export interface SsoFieldError {
	field: SsoField;
	/** 1-based, for an entry of a list field. */
	entry?: number;
	message: string;
}

/** The schema's dotted path (`allowedDomains[0]`) as a field and entry. */
export function ssoFieldError(error: FieldError): SsoFieldError {
	const field = error.path.split(/[.[]/)[0] as SsoField;
	const index = /\[(\d+)\]/.exec(error.path)?.[1];
	return { field, ...(index !== undefined ? { entry: Number(index) + 1 } : {}), message: error.message };
}

/** "Issuer URL: must use https" — the field's console label, not its path. */
export function labelled(error: SsoFieldError): string {
	return `${SSO_FIELD_LABELS[error.field] ?? error.field}${error.entry !== undefined ? ` (entry ${error.entry})` : ''}: ${error.message}`;
}

/** Whether anyone without an account may join by signing in (some membership rule is set). */
export function admitsNewcomers(settings: SsoSettings): boolean {
	return settings.allowedDomains.length > 0 || settings.tenantIds.length > 0 || settings.allowedGroups.length > 0;
}

/**
 * What a *Test sign-in* vouches for: everything that decides who gets in and how the identity
 * provider is reached. Turning SSO on or off, the label and password sign-in are left out.
 */
export function ssoFingerprint(settings: SsoSettings, clientSecret: string): string {
	const { enabled: _enabled, displayName: _label, passwordSignIn: _password, ...decisive } = settings;
	return createHash('sha256').update(JSON.stringify(decisive)).update('\0').update(clientSecret).digest('base64url');
}
