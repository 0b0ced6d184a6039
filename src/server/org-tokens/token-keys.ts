import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** A published public key: jose's JWK with the members a key set always has. */
export type PublishedJwk = JWK & { kty: string; kid: string };
import type { Clock } from '../clock';
import type { TokenKeyRecord, TokenKeyStore } from '../store/token-key-store';

/** RS256: the one algorithm every gateway we document verifies (API Management, Kong, LiteLLM, Envoy, mod_auth_openidc). */
export const TOKEN_ALGORITHM = 'RS256' as const;
/** How long this instance reuses what it read of the keys: another instance's rotation reaches it within this. */
const CACHE_MS = 30_000;
/** Expiries are recorded rounded up to this, so at most one write per key and instance per minute. */
const EXPIRY_STEP_MS = 60_000;

export interface SigningTokenKey {
	readonly kid: string;
	readonly privateKey: KeyObject;
}

export interface PublishedTokenKey {
	readonly kid: string;
	readonly createdAt: number;
	readonly activatesAt: number;
	readonly retiredAt: number | null;
	/** Until when gateways must still find it in the JWKS (the last token it signed expires then). */
	readonly publishedUntil: number;
	/** The public key as PEM, for gateways that take a key rather than a key set (Kong's jwt plugin). */
	readonly publicKeyPem: string;
}

/**
 * The keys that sign organization tokens — never the policy signing key: a gateway that trusts
 * these tokens cannot be made to accept a forged policy, nor the reverse. A rotation retires the
 * signing key at once; the retired key stays in the JWKS until every token it signed has expired,
 * then leaves it (and the database).
 */
export class OrganizationTokenKeys {
	private cached: { at: number; keys: TokenKeyRecord[] } | undefined;
	private readonly recordedExpiry = new Map<string, number>();
	private parsed: SigningTokenKey | undefined;

	constructor(
		private readonly store: TokenKeyStore,
		private readonly clock: Clock,
		private readonly orgId: string,
	) {}

	/**
	 * The key that signs now: the newest one whose time has come (the organization's first is made
	 * on first use, and signs at once). Keys it took over from are retired as of its activation.
	 */
	async signing(): Promise<SigningTokenKey> {
		let current = this.active(await this.keys());
		if (!current) {
			// Two instances may get here at once: only one key is added, both then read it.
			await this.store.addKey(await this.newKey(0), { onlyIfNone: true });
			current = this.active(await this.keys(true));
		}
		if (!current?.privatePem) {
			throw new Error('no organization token signing key could be made');
		}
		if (this.parsed?.kid !== current.kid) {
			// A newer key took over (here, or on another instance): the ones before it sign no more.
			await this.store.retireOlderThan(this.orgId, current.kid, current.createdAt, current.activatesAt);
			this.cached = undefined;
			this.parsed = { kid: current.kid, privateKey: createPrivateKey(current.privatePem) };
		}
		return this.parsed;
	}

	/**
	 * Makes a new signing key, published at once and signing after `activateInMs` — time for gateways
	 * that cache the key set to fetch it (0: at once, e.g. after a leak). The key it replaces stays
	 * published while the tokens it signed live.
	 */
	async rotate(activateInMs: number): Promise<PublishedTokenKey> {
		const key = await this.newKey(activateInMs);
		await this.store.addKey(key);
		this.cached = undefined;
		return published(key);
	}

	/**
	 * What gateways must find: the signing key, keys waiting to sign, and older keys while a token they
	 * signed may live. Keys the signing key took over from count as retired whether or not an issue
	 * has recorded it yet.
	 */
	private published(keys: readonly TokenKeyRecord[]): TokenKeyRecord[] {
		const now = this.clock.now();
		const signing = this.active(keys);
		return keys.filter(
			(key) =>
				key === signing ||
				(key.retiredAt === null && signing !== undefined && key.createdAt > signing.createdAt) ||
				key.lastExpiresAt > now,
		);
	}

	private active(keys: readonly TokenKeyRecord[]): TokenKeyRecord | undefined {
		const now = this.clock.now();
		const usable = keys.filter((key) => key.retiredAt === null && key.privatePem !== null);
		// Newest first: the first whose time has come; where none has by this instance's clock (a clock
		// a little behind the one that made the key), the oldest that may sign rather than none.
		return usable.find((key) => key.activatesAt <= now) ?? usable.at(-1);
	}

	/** Records that a token signed with `kid` lives until `expiresAt`, so the key is published that long. */
	async noteExpiry(kid: string, expiresAt: number): Promise<void> {
		const rounded = Math.ceil(expiresAt / EXPIRY_STEP_MS) * EXPIRY_STEP_MS;
		if ((this.recordedExpiry.get(kid) ?? 0) >= rounded) {
			return;
		}
		await this.store.extendKey(kid, rounded);
		this.recordedExpiry.set(kid, rounded);
	}

	/** RFC 7517 key set: the signing key and every retired key whose tokens may still live. */
	async jwks(): Promise<{ keys: PublishedJwk[] }> {
		// A gateway may read the key set before any member has a token: it gets the key that will sign
		// them, not an empty set it would cache for minutes.
		if ((await this.keys()).length === 0) {
			await this.signing();
		}
		return { keys: this.published(await this.keys()).map((key) => JSON.parse(key.publicJwk) as PublishedJwk) };
	}

	/** What the console and the admin API show. */
	async list(): Promise<PublishedTokenKey[]> {
		// Settles which key signs now (and retires those before it), so the list says what holds.
		await this.signing();
		return this.published(await this.keys(true)).map(published);
	}

	/** Retired keys whose last token has expired leave the database. */
	async purge(): Promise<void> {
		await this.store.purgeKeys(this.orgId, this.clock.now());
	}

	private async keys(fresh = false): Promise<TokenKeyRecord[]> {
		const now = this.clock.now();
		if (fresh || !this.cached || now - this.cached.at > CACHE_MS) {
			this.cached = { at: now, keys: await this.store.listKeys(this.orgId) };
		}
		return this.cached.keys;
	}

	private async newKey(activateInMs: number): Promise<TokenKeyRecord> {
		const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
		const jwk = publicKey.export({ format: 'jwk' }) as JWK;
		// RFC 7638 thumbprint as the key id: stable, and derived from the key alone.
		const kid = await calculateJwkThumbprint(jwk);
		const now = this.clock.now();
		// Keys are ordered by creation: a new one is always later than every other, even within a millisecond.
		const latest = Math.max(0, ...(await this.keys(true)).map((key) => key.createdAt));
		return {
			kid,
			orgId: this.orgId,
			publicJwk: JSON.stringify({ ...jwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' }),
			privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
			createdAt: Math.max(now, latest + 1),
			activatesAt: now + activateInMs,
			retiredAt: null,
			lastExpiresAt: now,
		};
	}
}

function published(key: TokenKeyRecord): PublishedTokenKey {
	return {
		kid: key.kid,
		createdAt: key.createdAt,
		activatesAt: key.activatesAt,
		retiredAt: key.retiredAt,
		publishedUntil: key.lastExpiresAt,
		publicKeyPem: createPublicKey({ key: JSON.parse(key.publicJwk) as JsonWebKey, format: 'jwk' })
			.export({ type: 'spki', format: 'pem' })
			.toString(),
	};
}
