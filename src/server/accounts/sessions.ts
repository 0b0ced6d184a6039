import type { Clock } from '../clock';
import { hashSecret, newSecret } from '../crypto';
import type { Store, UserRecord } from '../store/store';
import type { AccountTimings } from './timings';
import type { Principal, Tokens } from './tokens';

/** Admin console sessions: a cookie secret and the CSRF token every unsafe request must bring. */
export class ConsoleSessions {
	constructor(
		private readonly store: Store,
		private readonly clock: Clock,
		private readonly timings: AccountTimings,
		private readonly tokens: Tokens,
	) {}

	/** How long a session lasts; the cookie's max age is the same. */
	get lifetimeSeconds(): number {
		return this.timings.sessionSeconds;
	}

	async create(user: UserRecord): Promise<{ cookie: string; csrfToken: string }> {
		const cookie = newSecret('opp_s');
		const csrfToken = newSecret('csrf');
		const now = this.clock.now();
		await this.store.insertTokens([
			{
				tokenHash: hashSecret(cookie),
				kind: 'console_session',
				userId: user.id,
				orgId: user.orgId,
				familyId: null,
				clientId: null,
				expiresAt: now + this.timings.sessionSeconds * 1000,
				createdAt: now,
				usedAt: null,
				revokedAt: null,
				csrfToken,
				label: null,
			},
		]);
		return { cookie, csrfToken };
	}

	async resolve(cookie: string): Promise<Principal | undefined> {
		const found = await this.store.getTokenWithUser(hashSecret(cookie));
		return found?.token.kind === 'console_session' ? this.tokens.validPrincipal(found) : undefined;
	}

	async end(cookie: string): Promise<void> {
		const tokenHash = hashSecret(cookie);
		await this.store.revokeToken(tokenHash, this.clock.now(), 'signed_out');
		this.tokens.forgetPrincipals({ tokenHash });
	}
}
