import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables';

/** A key that signs (or signed) organization tokens. */
export interface TokenKeyRecord {
	kid: string;
	orgId: string;
	/** The public half as a JSON Web Key (RFC 7517), as published. */
	publicJwk: string;
	/** PKCS#8 PEM; null once the key is retired. */
	privatePem: string | null;
	createdAt: number;
	/** When it starts signing: published (in the JWKS) from its creation, so gateways know it first. */
	activatesAt: number;
	/** When a newer key took over signing; null while it is the signing key or waits to be. */
	retiredAt: number | null;
	/** No token it signed lives past this (rounded up); a retired key is published until then. */
	lastExpiresAt: number;
}

/** Organization tokens' signing keys, and each member's newest token's expiry. */
export interface TokenKeyStore {
	/** Keys not retired, or retired but still verifying tokens that live; newest first. */
	listKeys(orgId: string): Promise<TokenKeyRecord[]>;
	/**
	 * Adds a key. With `onlyIfNone`, adds nothing when the organization already has a key that is not
	 * retired (two instances making the first key at once).
	 */
	addKey(key: TokenKeyRecord, options?: { onlyIfNone?: boolean }): Promise<boolean>;
	/** Retires every key older than `kid` as of `at`, and forgets their private halves. */
	retireOlderThan(orgId: string, kid: string, createdAt: number, at: number): Promise<void>;
	/** Raises a key's last expiry to `at` (never lowers it). */
	extendKey(kid: string, at: number): Promise<void>;
	/** Deletes retired keys no live token was signed with. */
	purgeKeys(orgId: string, now: number): Promise<void>;
	/** Records a member's newest token's expiry (never lowers it). */
	recordGrant(orgId: string, userId: string, expiresAt: number): Promise<void>;
	/** Until when a member's newest organization token lives, if they were ever given one. */
	grantExpiry(userId: string): Promise<number | undefined>;
	/** Members whose newest token lives after `now`, with its expiry. */
	liveGrants(orgId: string, now: number): Promise<Map<string, number>>;
}

type KeyRow = Tables['token_signing_keys'];

const toKey = (row: KeyRow): TokenKeyRecord => ({
	kid: row.kid,
	orgId: row.org_id,
	publicJwk: row.public_jwk,
	privatePem: row.private_pem,
	createdAt: Number(row.created_at),
	activatesAt: Number(row.activates_at),
	retiredAt: row.retired_at === null ? null : Number(row.retired_at),
	lastExpiresAt: Number(row.last_expires_at),
});

export class SqlTokenKeyStore implements TokenKeyStore {
	constructor(private readonly db: Kysely<Tables>) {}

	async listKeys(orgId: string): Promise<TokenKeyRecord[]> {
		const rows = await this.db
			.selectFrom('token_signing_keys')
			.selectAll()
			.where('org_id', '=', orgId)
			.orderBy('created_at', 'desc')
			.orderBy('kid', 'desc')
			.execute();
		return rows.map(toKey);
	}

	async addKey(key: TokenKeyRecord, options: { onlyIfNone?: boolean } = {}): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			if (options.onlyIfNone) {
				const live = await trx
					.selectFrom('token_signing_keys')
					.select('kid')
					.where('org_id', '=', key.orgId)
					.where('retired_at', 'is', null)
					.executeTakeFirst();
				if (live) {
					return false;
				}
			}
			await trx
				.insertInto('token_signing_keys')
				.values({
					kid: key.kid,
					org_id: key.orgId,
					public_jwk: key.publicJwk,
					private_pem: key.privatePem,
					created_at: key.createdAt,
					activates_at: key.activatesAt,
					retired_at: key.retiredAt,
					last_expires_at: key.lastExpiresAt,
				})
				.execute();
			return true;
		});
	}

	async retireOlderThan(orgId: string, kid: string, createdAt: number, at: number): Promise<void> {
		await this.db
			.updateTable('token_signing_keys')
			.set({ retired_at: at, private_pem: null })
			.where('org_id', '=', orgId)
			.where('kid', '!=', kid)
			.where('created_at', '<=', createdAt)
			.where('retired_at', 'is', null)
			.execute();
	}

	async extendKey(kid: string, at: number): Promise<void> {
		await this.db
			.updateTable('token_signing_keys')
			.set({ last_expires_at: at })
			.where('kid', '=', kid)
			.where('last_expires_at', '<', at)
			.execute();
	}

	async purgeKeys(orgId: string, now: number): Promise<void> {
		await this.db
			.deleteFrom('token_signing_keys')
			.where('org_id', '=', orgId)
			.where('retired_at', 'is not', null)
			.where('last_expires_at', '<=', now)
			.execute();
	}

	async recordGrant(orgId: string, userId: string, expiresAt: number): Promise<void> {
		await this.db
			.insertInto('organization_token_grants')
			.values({ user_id: userId, org_id: orgId, expires_at: expiresAt })
			.onConflict((conflict) =>
				conflict
					.column('user_id')
					.doUpdateSet({ expires_at: sql<number>`excluded.expires_at` })
					.where('organization_token_grants.expires_at', '<', sql<number>`excluded.expires_at`),
			)
			.execute();
	}

	async grantExpiry(userId: string): Promise<number | undefined> {
		const row = await this.db.selectFrom('organization_token_grants').select('expires_at').where('user_id', '=', userId).executeTakeFirst();
		return row ? Number(row.expires_at) : undefined;
	}

	async liveGrants(orgId: string, now: number): Promise<Map<string, number>> {
		const rows = await this.db
			.selectFrom('organization_token_grants')
			.select(['user_id', 'expires_at'])
			.where('org_id', '=', orgId)
			.where('expires_at', '>', now)
			.execute();
		return new Map(rows.map((row) => [row.user_id, Number(row.expires_at)]));
	}
}
