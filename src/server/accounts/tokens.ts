import type { PolicySigningKey, TokenResponse } from '../../policy';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import { hashSecret, newId, newSecret } from '../crypto';
import type { PolicyEvents, Revocation } from '../policy/policy-service';
import type { RevocationReason, Store, TokenRecord, UserRecord } from '../store/store';
import { OAuthError, requireKnownClient } from './errors';
import type { AccountTimings } from './timings';

export interface Principal {
	readonly user: UserRecord;
	readonly token: TokenRecord;
}

/**
 * Whether the caller is a member's own VS Code (its device-flow access token), not an admin's
 * automation token or a console session: only it speaks for the member's machine.
 */
export const isVsCodeSignIn = (principal: Principal): boolean => principal.token.kind === 'access';

/** How long a resolved token may be reused without reading the store again. */
const PRINCIPAL_CACHE_MS = 5000;
/**
 * While the database is out of reach, a token this instance resolved within this long keeps
 * reading (until it expires): the bound on how long a revocation that did not reach this instance
 * (its notification lost just before the outage) can be missed. README, *Reliability*.
 */
export const OUTAGE_GRACE_MS = 5 * 60_000;
const PRINCIPAL_CACHE_SIZE = 20_000;
/** An admin API token's last use is noted at most this often (a read of the store resolves it every few seconds). */
const LAST_USE_RESOLUTION_MS = 60_000;

/** A token's resolution, and when the store was read for it. */
interface ResolvedToken {
	readonly found: Principal | undefined;
	readonly at: number;
}

/** Bearer tokens: issued at sign-in, rotated on refresh, revoked per RFC 7009, resolved per request. */
export class Tokens {
	/**
	 * Resolved bearer tokens, so a read of the policy costs no query. Every revocation in this
	 * process clears it at once; the short lifetime bounds what another instance's revocation
	 * could leave behind if its notification were lost.
	 */
	private readonly principals = new Map<string, ResolvedToken>();

	constructor(
		private readonly store: Store,
		private readonly events: Pick<PolicyEvents, 'publishRevoked'>,
		private readonly clock: Clock,
		private readonly timings: AccountTimings,
		private readonly signingKeyOf: (orgId: string) => Promise<PolicySigningKey | undefined>,
		private readonly audit?: Pick<AuditLog, 'record'>,
	) {}

	async issue(user: UserRecord, clientId: string, familyId = newId()): Promise<TokenResponse> {
		const now = this.clock.now();
		const accessToken = newSecret('opp_at');
		const refreshToken = newSecret('opp_rt');
		const base = {
			userId: user.id,
			orgId: user.orgId,
			familyId,
			clientId,
			createdAt: now,
			usedAt: null,
			revokedAt: null,
			csrfToken: null,
			label: null,
		};
		await this.store.insertTokens([
			{ ...base, tokenHash: hashSecret(accessToken), kind: 'access', expiresAt: now + this.timings.accessTokenSeconds * 1000 },
			{ ...base, tokenHash: hashSecret(refreshToken), kind: 'refresh', expiresAt: now + this.timings.refreshTokenSeconds * 1000 },
		]);
		const [organization, signingKey] = await Promise.all([this.store.getOrganization(user.orgId), this.signingKeyOf(user.orgId)]);
		if (!organization || !signingKey) {
			throw new Error(`organization ${user.orgId} is not set up`);
		}
		return {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: this.timings.accessTokenSeconds,
			refresh_token: refreshToken,
			organization: { id: organization.id, name: organization.name },
			user: { id: user.id, email: user.email, role: user.role },
			policy_signing_key: signingKey,
		};
	}

	/** The refresh-token grant (RFC 6749 §6): a new access token, and the refresh token rotated. */
	async rotateRefreshToken(refreshToken: string, clientId: string): Promise<TokenResponse> {
		requireKnownClient(clientId);
		const now = this.clock.now();
		const record = await this.store.getToken(hashSecret(refreshToken));
		if (!record || record.kind !== 'refresh' || (record.expiresAt !== null && record.expiresAt <= now)) {
			throw new OAuthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
		}
		if (record.revokedAt !== null) {
			// Said to the token's own holder, so a member's extension can tell them what happened.
			throw new OAuthError('invalid_grant', whyRevoked(await this.store.getUser(record.userId), record.revokedReason));
		}
		if (record.clientId !== null && record.clientId !== clientId) {
			// RFC 6749 §6: a refresh token is good only for the client it was issued to.
			throw new OAuthError('invalid_grant', 'the refresh token was issued to another client');
		}
		if (!(await this.store.markTokenUsed(record.tokenHash, now)) && !(await this.reusedWithinGrace(record, now))) {
			// A rotated-out refresh token came back: someone holds a copy. End the whole family.
			await this.store.revokeFamily(record.familyId ?? '', now, 'replayed');
			this.forgetPrincipals({ familyId: record.familyId ?? undefined, tokenHash: record.tokenHash });
			this.events.publishRevoked({ familyId: record.familyId ?? undefined });
			const owner = await this.store.getUser(record.userId);
			await this.audit?.record(record.orgId, owner?.email ?? record.userId, 'token.refresh_replayed', 'refused', {
				client: record.clientId,
				outcome: 'the sign-in was revoked',
			});
			throw new OAuthError('invalid_grant', 'the refresh token was already used; every session it started has been revoked');
		}
		const user = await this.store.getUser(record.userId);
		if (!user || user.deactivatedAt !== null) {
			throw new OAuthError('invalid_grant', whyRevoked(user));
		}
		return this.issue(user, clientId, record.familyId ?? newId());
	}

	/**
	 * Whether a refresh token already rotated came back within moments of its rotation: another
	 * window of the same member refreshing at once, or a retry after a lost answer (see
	 * {@link AccountTimings.refreshReuseGraceSeconds}). It gets a sign-in of its own in the same family.
	 */
	private async reusedWithinGrace(record: TokenRecord, now: number): Promise<boolean> {
		// Rotated while this request was on its way: the record read before does not say when.
		const usedAt = record.usedAt ?? (await this.store.getToken(record.tokenHash))?.usedAt ?? null;
		return usedAt !== null && now - usedAt <= this.timings.refreshReuseGraceSeconds * 1000;
	}

	/** Revokes a token and, for access and refresh tokens, the rest of its sign-in (RFC 7009). */
	async revoke(token: string): Promise<void> {
		const record = await this.store.getToken(hashSecret(token));
		if (record) {
			await this.revokeRecord(record);
		}
	}

	/** Revokes a stored token (with its sign-in's family), here and on every instance, its open event streams included. */
	async revokeRecord(record: TokenRecord): Promise<void> {
		if (record.familyId) {
			return this.endFamily(record.familyId, 'signed_out');
		}
		await this.store.revokeToken(record.tokenHash, this.clock.now(), 'signed_out');
		this.forgetPrincipals({ tokenHash: record.tokenHash });
		this.events.publishRevoked({ tokenHash: record.tokenHash });
	}

	/** Ends one sign-in (a refresh-token family: one VS Code) here and on every instance, its open event streams included. */
	async endFamily(familyId: string, reason: RevocationReason): Promise<void> {
		await this.store.revokeFamily(familyId, this.clock.now(), reason);
		this.forgetPrincipals({ familyId });
		// Open event streams end with their token, not only new requests.
		this.events.publishRevoked({ familyId });
	}

	/**
	 * Who a bearer token belongs to. A token resolved within the last few seconds is answered at once,
	 * without a promise: members' policy reads are the service's hottest path, and every promise on
	 * it is a measurable share of a read (bench/NOTES.md, *Policy reads*).
	 */
	resolveBearer(token: string): Principal | undefined | Promise<Principal | undefined> {
		const hash = hashSecret(token);
		const cached = this.principals.get(hash);
		return this.isRecent(cached) ? this.usable(cached.found) : this.lookUp(hash, cached);
	}

	/**
	 * Who a bearer token (by its hash, {@link hashSecret}) belongs to, when it was resolved within the
	 * last few seconds and still opens the service; otherwise undefined, the store untouched (a caller then asks
	 * {@link resolveBearer}, which also answers refusals).
	 */
	resolvedRecently(tokenHash: string): Principal | undefined {
		const cached = this.principals.get(tokenHash);
		return this.isRecent(cached) ? this.usable(cached.found) : undefined;
	}

	private isRecent(cached: ResolvedToken | undefined): cached is ResolvedToken {
		return cached !== undefined && this.clock.now() - cached.at <= PRINCIPAL_CACHE_MS;
	}

	private async lookUp(hash: string, cached: ResolvedToken | undefined): Promise<Principal | undefined> {
		const now = this.clock.now();
		let found: Principal | undefined;
		try {
			found = await this.store.getTokenWithUser(hash);
		} catch (error) {
			// The database is out of reach: what was checked shortly before still answers (see OUTAGE_GRACE_MS).
			if (cached && now - cached.at <= OUTAGE_GRACE_MS) {
				return this.usable(cached.found);
			}
			throw error;
		}
		if (this.principals.size >= PRINCIPAL_CACHE_SIZE) {
			this.principals.clear();
		}
		this.principals.set(hash, { found, at: now });
		const usable = this.usable(found);
		if (usable?.token.kind === 'admin_api' && now - (usable.token.usedAt ?? 0) >= LAST_USE_RESOLUTION_MS) {
			// Shown beside the token in the console; never read to admit anyone, so a failed write is only a stale date.
			this.store.noteAdminApiTokenUse(hash, now).catch(() => undefined);
		}
		return usable;
	}

	private usable(found: Principal | undefined): Principal | undefined {
		const opens =
			found?.token.kind === 'access' ||
			// Automation acts with its maker's admin rights: once they are not an admin, it opens nothing at all.
			(found?.token.kind === 'admin_api' && found.user.role === 'admin');
		return opens ? this.validPrincipal(found) : undefined;
	}

	/** Whether a token still opens the service (read from the store, not the cache). */
	async stillValid(tokenHash: string): Promise<boolean> {
		const found = await this.store.getTokenWithUser(tokenHash);
		return found !== undefined && this.validPrincipal(found) !== undefined;
	}

	/**
	 * A revocation (here, or on another instance): forget the resolved tokens it covers, so none
	 * outlives it; without one (notifications were lost), forget every resolved token.
	 */
	forgetPrincipals(revocation?: Revocation): void {
		if (!revocation || (!revocation.userId && !revocation.familyId && !revocation.tokenHash)) {
			this.principals.clear();
			return;
		}
		for (const [hash, entry] of this.principals) {
			const token = entry.found?.token;
			if (
				hash === revocation.tokenHash ||
				!token ||
				token.userId === revocation.userId ||
				(revocation.familyId !== undefined && token.familyId === revocation.familyId)
			) {
				this.principals.delete(hash);
			}
		}
	}

	/** The principal a stored token stands for, while it is neither revoked nor expired. */
	validPrincipal({ token, user }: Principal): Principal | undefined {
		if (token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= this.clock.now())) {
			return undefined;
		}
		return user.orgId === token.orgId && user.deactivatedAt === null ? { user, token } : undefined;
	}
}

/** Why a refresh token no longer works, in words for the person who held it (the token's account, if it still exists). */
/** Why a sign-in ended, said to whoever holds it (they read it as "<organization> signed you out: …"). */
const REVOCATION_WORDS: Readonly<Record<RevocationReason, string>> = {
	signed_out: 'this sign-in was signed out (here, or from another window)',
	replayed: 'its refresh token was used twice, so a copy of it may exist elsewhere',
	admin_sign_out: 'an admin signed this account out everywhere',
	admin_machine_sign_out: "an admin signed this VS Code out; the account's other sign-ins go on",
	password_changed: "this account's password was changed",
	password_reset: "this account's password was reset with a one-time link",
};

function whyRevoked(user: UserRecord | undefined, reason?: RevocationReason): string {
	if (!user) {
		return 'this account was removed from the organization';
	}
	if (user.deactivatedAt !== null) {
		return 'this account was deactivated';
	}
	// Sign-ins ended before the reason was recorded.
	return reason ? REVOCATION_WORDS[reason] : 'this sign-in was ended: signed out (here, or by an admin), or the password was changed';
}
