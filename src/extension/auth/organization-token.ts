import { SignInRequiredError, type OrganizationTokenFacts } from '../../client/credentials';
import { ACCESS_TOKEN_TYPE, CLIENT_ID, TOKEN_EXCHANGE_GRANT, TokenExchangeResponseSchema } from '../../policy';
import {
	formBody,
	isServiceUnanswered,
	readServiceJson,
	readTokenEndpointError,
	serviceFetch,
	ServiceHttpError,
	type ServiceConnection,
} from '../base/service-http';

/** What the token source needs of the member's sign-in. */
export interface OrganizationTokenHost {
	readonly connection: () => ServiceConnection | undefined;
	/** The member's own access token, refreshed when due; undefined when signed out. */
	readonly accessToken: () => Promise<string | undefined>;
	/** After the service refused the access token: one refresh (false when that failed too). */
	readonly refreshSession: () => Promise<boolean>;
	readonly now: () => number;
	/** Names the organization in the sentence a signed-out member sees. */
	readonly organization: () => string | undefined;
}

interface HeldToken {
	readonly token: string;
	readonly audience: string;
	readonly expiresAt: number;
	readonly facts: OrganizationTokenFacts;
}

/** Renewed when this much of its life is left (a quarter, at most a minute): never sent about to expire. */
function renewalMargin(lifetimeMs: number): number {
	return Math.min(60_000, lifetimeMs / 4);
}

/**
 * The member's organization token: exchanged for their own access token at the policy service
 * (RFC 8693), kept in memory only — never in settings or secret storage, since it is cheap to get
 * again — and renewed before it expires. The member never handles it, nor any key.
 */
export class OrganizationTokenSource {
	private held: (HeldToken & { lifetimeMs: number }) | undefined;
	private pending: Promise<HeldToken> | undefined;

	constructor(private readonly host: OrganizationTokenHost) {}

	/** A token for `audience` with time left on it. */
	async token(audience: string): Promise<string> {
		const held = this.held;
		if (held && held.audience === audience && held.expiresAt - this.host.now() > renewalMargin(held.lifetimeMs)) {
			return held.token;
		}
		this.pending ??= this.exchange(audience).finally(() => (this.pending = undefined));
		return (await this.pending).token;
	}

	/** What the token last handed out says (for explaining a refusal). */
	facts(): OrganizationTokenFacts | undefined {
		return this.held?.facts;
	}

	/** Forgets the token (refused by the endpoint, or the member signed out): the next request gets a new one. */
	discard(): void {
		this.held = undefined;
	}

	private async exchange(audience: string, retried = false): Promise<HeldToken> {
		const organization = this.host.organization() ?? 'your organization';
		const connection = this.host.connection();
		const accessToken = await this.host.accessToken();
		if (!connection || !accessToken) {
			throw new SignInRequiredError(`Sign in to ${organization} to use its models: run "Org Provider Policy: Sign In".`);
		}
		const unavailable = (error: unknown): never => {
			if (isServiceUnanswered(error)) {
				throw new SignInRequiredError(
					`Could not get a token from ${organization}'s policy service: ${(error as Error).message}. Try again when it is back.`,
					{ cause: error },
				);
			}
			throw error;
		};
		const response = await serviceFetch(
			connection,
			'/oauth/token',
			formBody({
				grant_type: TOKEN_EXCHANGE_GRANT,
				subject_token: accessToken,
				subject_token_type: ACCESS_TOKEN_TYPE,
				audience,
				client_id: CLIENT_ID,
			}),
		).catch(unavailable);
		if (!response.ok) {
			const answer = await readTokenEndpointError(response, 'it');
			if (answer instanceof ServiceHttpError) {
				// Not a refusal (RFC 6749 §5.2): the service, or a proxy before it, could not answer now.
				return unavailable(answer);
			}
			// The access token expired or was rotated under us: one refresh, one more try.
			if (answer.error === 'invalid_grant' && !retried && (await this.host.refreshSession().catch(unavailable))) {
				return this.exchange(audience, true);
			}
			throw new SignInRequiredError(
				answer.error === 'invalid_grant'
					? `${organization} no longer gives this account a token (signed out, or the account was deactivated or removed): sign in again, or ask your admin.`
					: `${organization}'s policy service refused a token (${answer.description ?? `HTTP ${answer.status}`}).`,
			);
		}
		const issued = await readServiceJson(response, 'it', TokenExchangeResponseSchema).catch(unavailable);
		const now = this.host.now();
		const lifetimeMs = issued.expires_in * 1000;
		const claims = readClaims(issued.access_token);
		const held = {
			token: issued.access_token,
			audience,
			expiresAt: now + lifetimeMs,
			lifetimeMs,
			facts: {
				audience,
				// The token's own expiry where it can be read (the service's clock), else ours.
				expiresAt: claims.exp !== undefined ? claims.exp * 1000 : now + lifetimeMs,
				keyId: claims.kid,
				issuer: claims.iss,
			},
		};
		this.held = held;
		return held;
	}
}

/** The few claims the member's side reads (unverified: the token came straight from the service over its own connection). */
function readClaims(token: string): { exp?: number; iss?: string; kid?: string } {
	try {
		const [header, payload] = token.split('.');
		const head = JSON.parse(Buffer.from(header ?? '', 'base64url').toString()) as { kid?: unknown };
		const body = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { exp?: unknown; iss?: unknown };
		return {
			...(typeof body.exp === 'number' ? { exp: body.exp } : {}),
			...(typeof body.iss === 'string' ? { iss: body.iss } : {}),
			...(typeof head.kid === 'string' ? { kid: head.kid } : {}),
		};
	} catch {
		return {};
	}
}
