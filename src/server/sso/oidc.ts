import * as oidc from 'openid-client';
import { systemClock, type Clock } from '../clock';
import { isLoopbackHttp, ssoFingerprint, type SsoSettings } from './settings';

/** What the service sends the browser to, and what it must keep to finish the sign-in. */
export interface AuthorizationStart {
	url: URL;
	state: string;
	nonce: string;
	codeVerifier: string;
}

/** The OpenID Connect relying party as the sign-in flow uses it; tests may put a double here. */
export interface RelyingParty {
	/** Reads the issuer's discovery document; throws an IdentityProviderError saying why it cannot. */
	discover(settings: SsoSettings, clientSecret: string): Promise<void>;
	/** `prompt: 'login'` asks the provider to authenticate again even with a session (a *Test sign-in*). */
	start(settings: SsoSettings, clientSecret: string, redirectUri: string, prompt?: 'login'): Promise<AuthorizationStart>;
	/** Redeems the code and returns the validated ID token's claims (with the userinfo's, when the token lacks some). */
	finish(
		settings: SsoSettings,
		clientSecret: string,
		callbackUrl: URL,
		checks: { state: string; nonce: string; codeVerifier: string },
	): Promise<Record<string, unknown>>;
}

/** Why the identity provider could not be used, in one sentence without secrets. */
export class IdentityProviderError extends Error {
	override readonly name = 'IdentityProviderError';
}

const DISCOVERY_TIMEOUT_SECONDS = 10;
/** Discovery is read again after this long, so a provider that moves its endpoints is followed. */
const DISCOVERY_LIFETIME_MS = 3600_000;

/**
 * `openid-client` does the protocol: discovery, the authorization URL with PKCE (S256), `state`
 * and `nonce`, the code exchange, and the ID token's validation (issuer, audience, signature by the
 * issuer's JWKS, expiry, nonce). Discovered configurations are kept per settings fingerprint, for an hour.
 */
export class OpenIdRelyingParty implements RelyingParty {
	private readonly configurations = new Map<string, { at: number; configuration: Promise<oidc.Configuration> }>();

	constructor(private readonly clock: Clock = systemClock) {}

	private configuration(settings: SsoSettings, clientSecret: string): Promise<oidc.Configuration> {
		const key = ssoFingerprint(settings, clientSecret);
		const cached = this.configurations.get(key);
		const now = this.clock.now();
		let found = cached && now - cached.at < DISCOVERY_LIFETIME_MS ? cached.configuration : undefined;
		if (!found) {
			const issuer = new URL(settings.issuer);
			found = oidc
				// client_secret_basic: what RFC 6749 §2.3.1 requires every provider to accept (Okta's default).
				.discovery(issuer, settings.clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
					timeout: DISCOVERY_TIMEOUT_SECONDS,
					// The ID token's signature is checked against the issuer's JWKS only with non-repudiation
					// checks on: without them the library trusts the TLS channel to the token endpoint.
					execute: [oidc.enableNonRepudiationChecks, ...(isLoopbackHttp(issuer) ? [oidc.allowInsecureRequests] : [])],
				})
				.catch((error: unknown) => {
					this.configurations.delete(key);
					throw new IdentityProviderError(
						`could not read the identity provider's discovery document at ${settings.issuer}/.well-known/openid-configuration: ${describe(error)}`,
						{ cause: error },
					);
				});
			// Settings change rarely; what older settings discovered is dropped once it is stale.
			for (const [old, entry] of this.configurations) {
				if (now - entry.at >= DISCOVERY_LIFETIME_MS) {
					this.configurations.delete(old);
				}
			}
			this.configurations.set(key, { at: now, configuration: found });
		}
		return found;
	}

	async discover(settings: SsoSettings, clientSecret: string): Promise<void> {
		try {
			await this.configuration(settings, clientSecret);
		} finally {
			// A check, not a warm-up: sign-ins discover afresh, so a provider that goes down later is
			// reported as down rather than followed to a page that does not answer.
			this.configurations.delete(ssoFingerprint(settings, clientSecret));
		}
	}

	async start(settings: SsoSettings, clientSecret: string, redirectUri: string, prompt?: 'login'): Promise<AuthorizationStart> {
		const configuration = await this.configuration(settings, clientSecret);
		const codeVerifier = oidc.randomPKCECodeVerifier();
		const state = oidc.randomState();
		const nonce = oidc.randomNonce();
		const url = oidc.buildAuthorizationUrl(configuration, {
			redirect_uri: redirectUri,
			scope: settings.scopes.join(' '),
			state,
			nonce,
			code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
			code_challenge_method: 'S256',
			...(prompt ? { prompt } : {}),
		});
		return { url, state, nonce, codeVerifier };
	}

	async finish(
		settings: SsoSettings,
		clientSecret: string,
		callbackUrl: URL,
		checks: { state: string; nonce: string; codeVerifier: string },
	): Promise<Record<string, unknown>> {
		const configuration = await this.configuration(settings, clientSecret);
		try {
			const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
				pkceCodeVerifier: checks.codeVerifier,
				expectedState: checks.state,
				expectedNonce: checks.nonce,
				idTokenExpected: true,
			});
			const claims: Record<string, unknown> = { ...tokens.claims() };
			const missing = [settings.emailClaim, settings.emailVerifiedClaim, settings.groupsClaim].some((name) => !(name in claims));
			if (missing && configuration.serverMetadata().userinfo_endpoint) {
				// Some providers (Okta's default groups, Google's e-mail with few scopes) put them only in userinfo.
				const info = await oidc.fetchUserInfo(configuration, tokens.access_token, String(claims['sub']));
				for (const [name, value] of Object.entries(info)) {
					claims[name] ??= value;
				}
			}
			return claims;
		} catch (error) {
			throw new IdentityProviderError(`the identity provider's answer was refused: ${describe(error)}`, { cause: error });
		}
	}
}

/** The library's message and OAuth error code, never a token or secret (they are not in either). */
function describe(error: unknown): string {
	if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
		return `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
	}
	const cause = (error as { cause?: { code?: string; message?: string } }).cause;
	const message = error instanceof Error ? error.message : String(error);
	return cause?.code ? `${message} (${cause.code})` : message;
}
