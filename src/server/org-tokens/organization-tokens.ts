import { SignJWT } from 'jose';
import { JWT_TOKEN_TYPE, type OrganizationTokenClaims, type TokenExchangeResponse } from '../../policy';
import { OAuthError } from '../accounts/errors';
import { isVsCodeSignIn, type Principal } from '../accounts/tokens';
import type { Clock } from '../clock';
import type { MemberDocumentOf } from '../policy/member-document';
import type { GroupStore } from '../store/group-store';
import type { TokenKeyStore } from '../store/token-key-store';
import { TOKEN_ALGORITHM, type OrganizationTokenKeys } from './token-keys';

export interface OrganizationTokenDeps {
	readonly keys: OrganizationTokenKeys;
	/** Resolves the member's own access token (revoked, expired and deactivated members resolve to nothing). */
	readonly resolveBearer: (token: string) => Promise<Principal | undefined>;
	/** The policy the member is under: their side of any rollout, their groups' overlays applied. */
	readonly documentFor: MemberDocumentOf;
	readonly groups: Pick<GroupStore, 'groupsOf'>;
	readonly grants: Pick<TokenKeyStore, 'recordGrant' | 'grantExpiry'>;
	readonly clock: Clock;
	/** The issuer: the service's public URL. */
	readonly issuer: () => string;
}

export interface ExchangeRequest {
	readonly subjectToken: string;
	/** RFC 8693 `audience`: when given, it must be the policy's. */
	readonly audience?: string | undefined;
}

/**
 * Issues organization tokens: a short-lived JWT per member, for the endpoint's gateway, in
 * exchange for the member's own access token (RFC 8693). Nothing is issued to a member who is
 * deactivated, removed or signed out, nor while the policy does not use organization tokens.
 */
export class OrganizationTokens {
	constructor(private readonly deps: OrganizationTokenDeps) {}

	async exchange(request: ExchangeRequest): Promise<TokenExchangeResponse> {
		const principal = await this.deps.resolveBearer(request.subjectToken);
		// Automation tokens act for an admin's scripts, not a member at the endpoint.
		if (!principal || !isVsCodeSignIn(principal) || principal.user.deactivatedAt !== null) {
			throw new OAuthError(
				'invalid_grant',
				'subject_token is not a signed-in member’s access token (expired, revoked, or the account was deactivated or removed)',
			);
		}
		const groups = (await this.deps.groups.groupsOf(principal.user.id)).map((group) => group.displayName).sort();
		// The member's own document: a group overlay's models, not the organization's, and never a canary they are not in.
		const document = await this.deps.documentFor(principal.user, groups);
		const settings = document?.enabled ? document.provider?.organizationToken : undefined;
		if (!document?.provider || !settings) {
			throw new OAuthError('invalid_request', 'the organization’s policy does not use organization tokens');
		}
		if (request.audience !== undefined && request.audience !== settings.audience) {
			throw new OAuthError('invalid_target', `audience must be ${settings.audience}, the audience the policy sets`);
		}
		const now = this.deps.clock.now();
		const lifetimeSeconds = settings.lifetimeMinutes * 60;
		const expiresAt = now + lifetimeSeconds * 1000;
		const key = await this.deps.keys.signing();
		const claims: OrganizationTokenClaims = {
			iss: this.deps.issuer(),
			sub: principal.user.id,
			aud: settings.audience,
			email: principal.user.email,
			groups,
			models: document.provider.models?.allowed ?? [],
			org: principal.user.orgId,
		};
		const seconds = Math.floor(now / 1000);
		const token = await new SignJWT({ ...claims })
			// RFC 9068's type for JWT access tokens: a gateway cannot mistake it for an ID token.
			.setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
			.setIssuedAt(seconds)
			.setNotBefore(seconds)
			.setExpirationTime(seconds + lifetimeSeconds)
			.setJti(crypto.randomUUID())
			.sign(key.privateKey);
		// The key must stay published, and the console must know, as long as the token lives.
		await Promise.all([
			this.deps.keys.noteExpiry(key.kid, expiresAt),
			this.deps.grants.recordGrant(principal.user.orgId, principal.user.id, expiresAt),
		]);
		return { access_token: token, issued_token_type: JWT_TOKEN_TYPE, token_type: 'Bearer', expires_in: lifetimeSeconds };
	}

	/** Until when the newest organization token given to a member can still be used, if it has not expired. */
	async liveUntil(userId: string): Promise<number | undefined> {
		const expiry = await this.deps.grants.grantExpiry(userId);
		return expiry !== undefined && expiry > this.deps.clock.now() ? expiry : undefined;
	}
}
