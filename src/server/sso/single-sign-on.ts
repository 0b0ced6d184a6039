import { syncClaimedGroups } from '../groups/claimed-groups';
import type { GroupStore } from '../store/group-store';
import type { Members } from '../accounts';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import { hashSecret, newSecret } from '../crypto';
import type { IdentityStore, SsoPurpose, SsoSettingsRecord } from '../store/identity-store';
import type { Role, Store, UserRecord } from '../store/store';
import { admit, readClaims, rulesNameAdmins, type IdentityClaims } from './membership';
import { IdentityProviderError, type RelyingParty } from './oidc';
import { parseSsoSettings, ssoFingerprint, type SsoSettings } from './settings';
import { SsoAccounts } from './sso-accounts';

/** Single sign-on is offered once turned on and a Test sign-in passed with exactly the saved settings. */
const offered = ({ settings, record }: LoadedSso): boolean =>
	settings.enabled && record.testedFingerprint === ssoFingerprint(settings, record.clientSecret);

/** How long a browser may stay at the identity provider before the sign-in must start again. */
const LOGIN_LIFETIME_MS = 10 * 60_000;

export interface SsoDependencies {
	identity: Pick<IdentityStore, 'getSsoSettings' | 'createSsoLogin' | 'takeSsoLogin' | 'markSsoTested' | 'updateUser'>;
	users: Pick<Store, 'findUserByEmail'>;
	members: Pick<Members, 'create' | 'isLastActiveAdmin'>;
	relyingParty: RelyingParty;
	clock: Clock;
	audit: Pick<AuditLog, 'record'>;
	/** The callback address registered with the identity provider. */
	redirectUri: () => string;
	/** Where the groups a sign-in's claim names are kept. */
	groups: GroupStore;
	/** Told when a sign-in changed a member's groups. */
	groupsChanged?: (orgId: string) => void;
}

/** An organization's settings as stored, parsed once. */
export interface LoadedSso {
	settings: SsoSettings;
	record: SsoSettingsRecord;
}

/** `binding`: kept by the starting page in its origin's session storage, brought back by the way back. */
export type SsoBegin = { kind: 'redirect'; url: URL; state: string; binding: string } | { kind: 'unavailable'; message: string };

/** What this browser brings back: the state cookie it was given, and the session-storage binding. */
export interface BrowserBinding {
	state: string | undefined;
	binding: string | undefined;
}

export type SsoOutcome =
	| { kind: 'signed-in'; user: UserRecord; purpose: Exclude<SsoPurpose, 'test'>; returnTo: string | null }
	| { kind: 'tested'; email: string; role: Role; claims: IdentityClaims }
	/** `claims` only for a *Test sign-in*: what the provider sent, so the admin can fix the mapping or rules. */
	| { kind: 'refused'; purpose: SsoPurpose | undefined; message: string; returnTo: string | null; claims?: IdentityClaims };

/**
 * Single sign-on through the organization's OpenID provider: starts a sign-in (state, nonce and
 * PKCE kept server-side, so any instance can finish it), and on the way back applies the
 * membership rules, creates newcomers just in time and keeps admin roles in step with the rules.
 */
export class SingleSignOn {
	private readonly accounts: SsoAccounts;

	constructor(private readonly deps: SsoDependencies) {
		this.accounts = new SsoAccounts(deps);
	}

	/** Whether sign-ins set the organization's roles: single sign-on is offered and its rules name admins. */
	async setsRoles(orgId: string): Promise<boolean> {
		const loaded = await this.load(orgId);
		return loaded !== undefined && offered(loaded) && rulesNameAdmins(loaded.settings);
	}

	async load(orgId: string): Promise<LoadedSso | undefined> {
		const record = await this.deps.identity.getSsoSettings(orgId);
		if (!record) {
			return undefined;
		}
		const parsed = parseSsoSettings(JSON.parse(record.settingsJson));
		return parsed.ok ? { settings: parsed.value, record } : undefined;
	}

	/**
	 * The sign-in button's label when single sign-on is offered, and whether passwords still work.
	 * Offered means turned on *and* vouched for by a passing *Test sign-in* with these very settings:
	 * a button that would fail for everyone is never shown to anyone.
	 */
	async offer(orgId: string): Promise<{ displayName: string; passwordSignIn: boolean } | undefined> {
		const loaded = await this.load(orgId);
		return loaded && offered(loaded)
			? { displayName: loaded.settings.displayName, passwordSignIn: loaded.settings.passwordSignIn }
			: undefined;
	}

	/** False when the organization requires single sign-on and this is not one of the operator's break-glass admins. */
	async passwordAllowed(user: UserRecord): Promise<boolean> {
		const loaded = await this.load(user.orgId);
		return !loaded || !loaded.settings.enabled || loaded.settings.passwordSignIn || (user.breakGlass && user.role === 'admin');
	}

	async begin(orgId: string, purpose: SsoPurpose, returnTo: string | null): Promise<SsoBegin> {
		const loaded = await this.load(orgId);
		if (!loaded || (purpose !== 'test' && !loaded.settings.enabled)) {
			return { kind: 'unavailable', message: 'Single sign-on is not set up for this organization: sign in with your password.' };
		}
		try {
			// A test signs in afresh: the admin's own provider session must not stand in for the person tested.
			const start = await this.deps.relyingParty.start(
				loaded.settings,
				loaded.record.clientSecret,
				this.deps.redirectUri(),
				purpose === 'test' ? 'login' : undefined,
			);
			const now = this.deps.clock.now();
			const binding = newSecret('opp_sb');
			await this.deps.identity.createSsoLogin({
				stateHash: hashSecret(start.state),
				bindingHash: hashSecret(binding),
				orgId,
				purpose,
				nonce: start.nonce,
				codeVerifier: start.codeVerifier,
				returnTo,
				createdAt: now,
				expiresAt: now + LOGIN_LIFETIME_MS,
			});
			return { kind: 'redirect', url: start.url, state: start.state, binding };
		} catch (error) {
			if (error instanceof IdentityProviderError) {
				await this.deps.audit.record(orgId, 'system', 'sign_in.sso', 'failed', {
					purpose,
					reason: 'provider_unreachable',
					error: error.message,
				});
				return {
					kind: 'unavailable',
					message: `Single sign-on is not working right now (${error.message}). Try again, or ask your admin.`,
				};
			}
			throw error;
		}
	}

	/**
	 * The identity provider sent the browser back. `browser` is what this browser was given when it
	 * left: the state (a cookie) and the binding (kept in the origin's session storage, which a sibling
	 * origin cannot write). A callback from a sign-in started elsewhere is refused.
	 */
	async complete(callbackUrl: URL, browser: BrowserBinding): Promise<SsoOutcome> {
		const state = callbackUrl.searchParams.get('state');
		const login = state && state === browser.state ? await this.deps.identity.takeSsoLogin(hashSecret(state)) : undefined;
		// A login begun before the binding existed (an upgrade mid-sign-in, at most 10 minutes) has none.
		const bound =
			login !== undefined &&
			(login.bindingHash === null || (browser.binding !== undefined && hashSecret(browser.binding) === login.bindingHash));
		if (!state || !login || !bound || login.expiresAt <= this.deps.clock.now()) {
			return {
				kind: 'refused',
				purpose: login?.purpose,
				returnTo: login?.returnTo ?? null,
				message: 'This sign-in was started in another browser or has expired. Start it again.',
			};
		}
		const { orgId, purpose, returnTo } = login;
		const refused = async (
			message: string,
			reason: string,
			actor = 'unknown',
			outcome: 'refused' | 'failed' = 'refused',
		): Promise<Extract<SsoOutcome, { kind: 'refused' }>> => {
			await this.deps.audit.record(orgId, actor, purpose === 'test' ? 'sso.test' : 'sign_in.sso', outcome, { purpose, reason });
			return { kind: 'refused', purpose, returnTo, message };
		};
		const loaded = await this.load(orgId);
		if (!loaded) {
			return refused('Single sign-on was turned off for this organization while you were signing in.', 'not_configured');
		}
		let claims: IdentityClaims;
		try {
			const raw = await this.deps.relyingParty.finish(loaded.settings, loaded.record.clientSecret, callbackUrl, {
				state,
				nonce: login.nonce,
				codeVerifier: login.codeVerifier,
			});
			claims = readClaims(raw, loaded.settings);
		} catch (error) {
			if (error instanceof IdentityProviderError) {
				return refused(`Single sign-on failed: ${error.message}.`, error.message, 'unknown', 'failed');
			}
			throw error;
		}
		const admission = admit(loaded.settings, claims);
		const actor = claims.email ?? `sub:${claims.subject}`;
		if (admission.kind === 'refuse') {
			const answer = await refused(admission.message, admission.reason, actor);
			return purpose === 'test' ? { ...answer, claims } : answer;
		}
		if (purpose === 'test') {
			return this.finishTest(loaded, admission.email, admission.role, claims);
		}
		const user = await this.accounts.accountFor(orgId, loaded.settings, admission.email, admission.role);
		if ('refusal' in user) {
			return refused(user.message, user.refusal, actor);
		}
		if (purpose === 'console' && user.role !== 'admin') {
			return refused(
				'You signed in, but only admins can use the console. To connect VS Code, use the sign-in it offers.',
				'not_admin',
				actor,
			);
		}
		// The member's groups as the claim names them now (their effective policy follows).
		if (await syncClaimedGroups(this.deps.groups, orgId, user.id, claims.groups, this.deps.clock.now())) {
			this.deps.groupsChanged?.(orgId);
		}
		await this.deps.audit.record(orgId, user.email, 'sign_in.sso', 'ok', { purpose, role: user.role });
		return { kind: 'signed-in', user, purpose, returnTo };
	}

	private async finishTest(loaded: LoadedSso, email: string, role: Role, claims: IdentityClaims): Promise<SsoOutcome> {
		const { orgId, settingsJson, clientSecret } = loaded.record;
		if (role !== 'admin') {
			await this.deps.audit.record(orgId, email, 'sso.test', 'refused', { reason: 'not_admin' });
			return {
				kind: 'refused',
				purpose: 'test',
				returnTo: null,
				message: `The identity provider signed in ${email}, but the rules make them a member, not an admin. Add them to Admin e-mails or an Admin group, so an admin can still get in once passwords are off.`,
				claims,
			};
		}
		// Settings saved by someone else meanwhile: this test vouches for the old ones only.
		if (!(await this.deps.identity.markSsoTested(orgId, ssoFingerprint(loaded.settings, clientSecret), settingsJson))) {
			return {
				kind: 'refused',
				purpose: 'test',
				returnTo: null,
				message: 'The settings changed while you were testing them. Run Test sign-in again.',
			};
		}
		await this.deps.audit.record(orgId, email, 'sso.test', 'ok', { role });
		return { kind: 'tested', email, role, claims };
	}
}
