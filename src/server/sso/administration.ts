import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import { hashSecret, newSecret } from '../crypto';
import type { IdentityStore } from '../store/identity-store';
import { parseSsoSettings, SSO_FIELD_LABELS, ssoFieldError, ssoFingerprint, type SsoFieldError, type SsoSettings } from './settings';
import { IdentityProviderError, type RelyingParty } from './oidc';
import type { SingleSignOn } from './single-sign-on';

/** What the console shows: never the client secret, only whether one is kept. */
export interface SsoAdminView {
	settings: SsoSettings | undefined;
	hasClientSecret: boolean;
	/** A *Test sign-in* succeeded with exactly these settings. */
	tested: boolean;
	scimEnabled: boolean;
	updatedAt: number | undefined;
	updatedBy: string | undefined;
}

export type SsoSaveResult = { kind: 'saved'; view: SsoAdminView } | { kind: 'invalid'; errors: SsoFieldError[] };

/** Admins' changes to single sign-on and provisioning, each checked, audited and all-or-nothing. */
export class SsoAdministration {
	constructor(
		private readonly sso: Pick<SingleSignOn, 'load'>,
		private readonly identity: Pick<IdentityStore, 'saveSsoSettings' | 'setScimToken' | 'getSsoSettings'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly relyingParty: Pick<RelyingParty, 'discover'>,
	) {}

	async view(orgId: string): Promise<SsoAdminView> {
		const loaded = await this.sso.load(orgId);
		if (!loaded) {
			return { settings: undefined, hasClientSecret: false, tested: false, scimEnabled: false, updatedAt: undefined, updatedBy: undefined };
		}
		const { settings, record } = loaded;
		return {
			settings,
			hasClientSecret: record.clientSecret.length > 0,
			tested: record.testedFingerprint === ssoFingerprint(settings, record.clientSecret),
			scimEnabled: record.scimTokenHash !== null,
			updatedAt: record.updatedAt,
			updatedBy: record.updatedBy,
		};
	}

	/**
	 * Saves new settings. An empty `clientSecret` keeps the saved one. Password sign-in can be
	 * turned off only while single sign-on is offered and a *Test sign-in* succeeded with these
	 * very settings, so no admin locks everyone out.
	 */
	async save(orgId: string, input: unknown, clientSecret: string | undefined, by: string): Promise<SsoSaveResult> {
		const parsed = parseSsoSettings(input);
		const existing = await this.sso.load(orgId);
		const errors = parsed.ok ? [] : parsed.errors.map(ssoFieldError);
		const secret = clientSecret?.trim() || existing?.record.clientSecret || '';
		if (!secret) {
			errors.push({ field: 'clientSecret', message: 'is required (the identity provider shows it when the application is registered)' });
		} else if (secret.length > 1000) {
			errors.push({ field: 'clientSecret', message: 'must be at most 1000 characters' });
		}
		if (!parsed.ok || errors.length > 0) {
			return { kind: 'invalid', errors };
		}
		const settings = parsed.value;
		const fingerprint = ssoFingerprint(settings, secret);
		const tested = existing?.record.testedFingerprint === fingerprint;
		if (!settings.passwordSignIn && !settings.enabled) {
			errors.push({ field: 'passwordSignIn', message: 'can be turned off only while single sign-on is offered' });
		} else if (!settings.passwordSignIn && !tested) {
			errors.push({
				field: 'passwordSignIn',
				message:
					'can be turned off only after a Test sign-in succeeded with these settings: leave it on, save, run Test sign-in, then turn it off',
			});
		}
		if (errors.length > 0) {
			return { kind: 'invalid', errors };
		}
		// Settings that cannot reach their provider would put a button on the sign-in pages that fails for everyone.
		try {
			await this.relyingParty.discover(settings, secret);
		} catch (error) {
			if (!(error instanceof IdentityProviderError)) {
				throw error;
			}
			return { kind: 'invalid', errors: [{ field: 'issuer', message: error.message }] };
		}
		await this.identity.saveSsoSettings({
			orgId,
			settingsJson: JSON.stringify(settings),
			clientSecret: secret,
			testedFingerprint: tested ? fingerprint : null,
			updatedAt: this.clock.now(),
			updatedBy: by,
		});
		await this.audit.record(orgId, by, 'sso.settings_saved', 'ok', {
			changed: changedFields(existing?.settings, settings).join(', ') || 'nothing',
			clientSecretChanged: existing !== undefined && existing.record.clientSecret !== secret,
			enabled: settings.enabled,
			passwordSignIn: settings.passwordSignIn,
		});
		return { kind: 'saved', view: await this.view(orgId) };
	}

	/** A new SCIM bearer token (the old one stops working); shown once. Undefined until SSO settings exist. */
	async createScimToken(orgId: string, by: string): Promise<string | undefined> {
		if (!(await this.identity.getSsoSettings(orgId))) {
			return undefined;
		}
		const token = newSecret('opp_scim');
		await this.identity.setScimToken(orgId, hashSecret(token));
		await this.audit.record(orgId, by, 'scim.token_created', 'ok');
		return token;
	}

	async revokeScimToken(orgId: string, by: string): Promise<void> {
		await this.identity.setScimToken(orgId, null);
		await this.audit.record(orgId, by, 'scim.token_revoked', 'ok');
	}
}

function changedFields(before: SsoSettings | undefined, after: SsoSettings): string[] {
	return (Object.keys(after) as (keyof SsoSettings)[])
		.filter((field) => JSON.stringify(before?.[field]) !== JSON.stringify(after[field]))
		.map((field) => SSO_FIELD_LABELS[field]);
}
