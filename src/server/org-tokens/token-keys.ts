import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
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
	readonly retiredAt: number | null;
	/** Until when gateways must still find it in the JWKS (the last token it signed expires then). */
	readonly publishedUntil: number;
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

	/** The key that signs now; the organization's first one is made on first use. */
	async signing(): Promise<SigningTokenKey> {
		let current = (await this.keys()).find((key) => key.retiredAt === null && key.privatePem !== null);
		if (!current) {
			// Two instances may get here at once: only one key is added, both then read it.
			await this.store.addKey(await this.newKey(), { onlyIfNone: true });
			current = (await this.keys(true)).find((key) => key.retiredAt === null && key.privatePem !== null);
		}
		if (!current?.privatePem) {
			throw new Error('no organization token signing key could be made');
		}
		if (this.parsed?.kid !== current.kid) {
			this.parsed = { kid: current.kid, privateKey: createPrivateKey(current.privatePem) };
		}
		return this.parsed;
	}

	/** Makes a new signing key and retires the current one (it stays published while its tokens live). */
	async rotate(): Promise<PublishedTokenKey> {
		const key = await this.newKey();
		await this.store.addKey(key);
		this.cached = undefined;
		return published(key);
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
		const now = this.clock.now();
		const keys = (await this.keys()).filter((key) => key.retiredAt === null || key.lastExpiresAt > now);
		return { keys: keys.map((key) => JSON.parse(key.publicJwk) as PublishedJwk) };
	}

	/** What the console and the admin API show. */
	async list(): Promise<PublishedTokenKey[]> {
		const now = this.clock.now();
		return (await this.keys(true)).filter((key) => key.retiredAt === null || key.lastExpiresAt > now).map(published);
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

	private async newKey(): Promise<TokenKeyRecord> {
		const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
		const jwk = publicKey.export({ format: 'jwk' }) as JWK;
		// RFC 7638 thumbprint as the key id: stable, and derived from the key alone.
		const kid = await calculateJwkThumbprint(jwk);
		const now = this.clock.now();
		return {
			kid,
			orgId: this.orgId,
			publicJwk: JSON.stringify({ ...jwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' }),
			privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
			createdAt: now,
			retiredAt: null,
			lastExpiresAt: now,
		};
	}
}

function published(key: TokenKeyRecord): PublishedTokenKey {
	return { kid: key.kid, createdAt: key.createdAt, retiredAt: key.retiredAt, publishedUntil: key.lastExpiresAt };
}
