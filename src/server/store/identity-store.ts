import type { Kysely } from 'kysely';
import type { DialectSpecifics } from './dialect';
import type { Role } from '../../policy';
import type { Tables } from './tables';

/** An organization's single sign-on settings: the document (no secrets) and the secrets beside it. */
export interface SsoSettingsRecord {
	orgId: string;
	/** The validated settings document (issuer, client id, scopes, claims, membership rules), JSON. */
	settingsJson: string;
	/** The OpenID client secret: read only to talk to the identity provider, never shown. */
	clientSecret: string;
	/** The fingerprint of the settings a *Test sign-in* succeeded with; null until one did. */
	testedFingerprint: string | null;
	/** The SCIM bearer token's hash; null while provisioning is off. */
	scimTokenHash: string | null;
	updatedAt: number;
	updatedBy: string;
}

export type SsoPurpose = 'console' | 'device' | 'test';

/** One sign-in on its way through the identity provider: what the callback needs, used once. */
export interface SsoLoginRecord {
	stateHash: string;
	orgId: string;
	purpose: SsoPurpose;
	nonce: string;
	codeVerifier: string;
	/** Where to come back to (the device page's user code); null for the console. */
	returnTo: string | null;
	/**
	 * The hash of a secret the starting page kept in its own origin's session storage: the way back
	 * must bring it, which no other origin (another port of the same host included) can plant.
	 */
	bindingHash: string | null;
	createdAt: number;
	expiresAt: number;
}

export type UserChange = { email?: string; externalId?: string | null; role?: Role };

/**
 * The identity part of the store: single sign-on, provisioning and the activity log. Kept apart
 * from {@link Store}'s policy and token methods; both are written once for both databases.
 */
export interface IdentityStore {
	getSsoSettings(orgId: string): Promise<SsoSettingsRecord | undefined>;
	/** Creates or replaces the settings and secret; the SCIM token stays as it was. */
	saveSsoSettings(record: Omit<SsoSettingsRecord, 'scimTokenHash'>): Promise<void>;
	/** Records a successful *Test sign-in*, unless the settings changed since it began. */
	markSsoTested(orgId: string, fingerprint: string, expectedSettingsJson: string): Promise<boolean>;
	setScimToken(orgId: string, tokenHash: string | null): Promise<void>;
	/** The organization a SCIM token provisions, if it is current. */
	findScimOrganization(tokenHash: string): Promise<string | undefined>;

	createSsoLogin(login: SsoLoginRecord): Promise<void>;
	/** Returns and deletes the login in one step: a state is good for exactly one callback. */
	takeSsoLogin(stateHash: string): Promise<SsoLoginRecord | undefined>;

	/**
	 * Deactivates (with a time) or reactivates (null) a person. Deactivating revokes every token
	 * they hold and tells the other instances, in the same transaction. False when no such user.
	 */
	setDeactivated(userId: string, at: number | null): Promise<boolean>;
	/** False when no such user; throws when the new email belongs to another member (unique). */
	updateUser(userId: string, change: UserChange): Promise<boolean>;
	/** The SCIM attributes kept for these people (all of the organization's without ids), by user id. */
	scimAttributes(orgId: string, userId?: string): Promise<Map<string, ScimAttributesRecord>>;
	/** Replaces the SCIM attributes kept for a person. */
	saveScimAttributes(record: ScimAttributesRecord): Promise<void>;
}

/** The User attributes a directory sent beyond what the account keeps, as JSON. */
export interface ScimAttributesRecord {
	userId: string;
	orgId: string;
	attributesJson: string;
	updatedAt: number;
}

export class SqlIdentityStore implements IdentityStore {
	constructor(
		private readonly db: Kysely<Tables>,
		private readonly dialect: Pick<DialectSpecifics, 'announce'>,
	) {}

	async getSsoSettings(orgId: string): Promise<SsoSettingsRecord | undefined> {
		const row = await this.db.selectFrom('sso_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();
		return (
			row && {
				orgId: row.org_id,
				settingsJson: row.settings_json,
				clientSecret: row.client_secret,
				testedFingerprint: row.tested_fingerprint,
				scimTokenHash: row.scim_token_hash,
				updatedAt: row.updated_at,
				updatedBy: row.updated_by,
			}
		);
	}

	async saveSsoSettings(record: Omit<SsoSettingsRecord, 'scimTokenHash'>): Promise<void> {
		const values = {
			settings_json: record.settingsJson,
			client_secret: record.clientSecret,
			tested_fingerprint: record.testedFingerprint,
			updated_at: record.updatedAt,
			updated_by: record.updatedBy,
		};
		await this.db
			.insertInto('sso_settings')
			.values({ org_id: record.orgId, scim_token_hash: null, ...values })
			.onConflict((conflict) => conflict.column('org_id').doUpdateSet(values))
			.execute();
	}

	async markSsoTested(orgId: string, fingerprint: string, expectedSettingsJson: string): Promise<boolean> {
		const result = await this.db
			.updateTable('sso_settings')
			.set({ tested_fingerprint: fingerprint })
			.where('org_id', '=', orgId)
			.where('settings_json', '=', expectedSettingsJson)
			.executeTakeFirst();
		return result.numUpdatedRows > 0n;
	}

	async setScimToken(orgId: string, tokenHash: string | null): Promise<void> {
		await this.db.updateTable('sso_settings').set({ scim_token_hash: tokenHash }).where('org_id', '=', orgId).execute();
	}

	async findScimOrganization(tokenHash: string): Promise<string | undefined> {
		const row = await this.db.selectFrom('sso_settings').select('org_id').where('scim_token_hash', '=', tokenHash).executeTakeFirst();
		return row?.org_id;
	}

	async createSsoLogin(login: SsoLoginRecord): Promise<void> {
		await this.db
			.insertInto('sso_logins')
			.values({
				state_hash: login.stateHash,
				org_id: login.orgId,
				purpose: login.purpose,
				nonce: login.nonce,
				code_verifier: login.codeVerifier,
				return_to: login.returnTo,
				binding_hash: login.bindingHash,
				created_at: login.createdAt,
				expires_at: login.expiresAt,
			})
			.execute();
	}

	async takeSsoLogin(stateHash: string): Promise<SsoLoginRecord | undefined> {
		return this.db.transaction().execute(async (trx) => {
			const row = await trx.selectFrom('sso_logins').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
			if (!row) {
				return undefined;
			}
			const deleted = await trx.deleteFrom('sso_logins').where('state_hash', '=', stateHash).executeTakeFirst();
			// Two callbacks racing with one state: only the one that deleted it goes on.
			if (deleted.numDeletedRows === 0n) {
				return undefined;
			}
			return {
				stateHash: row.state_hash,
				orgId: row.org_id,
				purpose: row.purpose as SsoPurpose,
				nonce: row.nonce,
				codeVerifier: row.code_verifier,
				returnTo: row.return_to,
				bindingHash: row.binding_hash,
				createdAt: row.created_at,
				expiresAt: row.expires_at,
			};
		});
	}

	async setDeactivated(userId: string, at: number | null): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const updated = await trx.updateTable('users').set({ deactivated_at: at }).where('id', '=', userId).executeTakeFirst();
			if (updated.numUpdatedRows === 0n) {
				return false;
			}
			if (at !== null) {
				await trx.updateTable('tokens').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
				await this.dialect.announce(trx, { kind: 'revoked', userId });
			}
			return true;
		});
	}

	async updateUser(userId: string, change: UserChange): Promise<boolean> {
		const set = {
			...(change.email !== undefined ? { email: change.email.toLowerCase() } : {}),
			...(change.externalId !== undefined ? { external_id: change.externalId } : {}),
			...(change.role !== undefined ? { role: change.role } : {}),
		};
		if (Object.keys(set).length === 0) {
			return (await this.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst()) !== undefined;
		}
		const updated = await this.db.updateTable('users').set(set).where('id', '=', userId).executeTakeFirst();
		return updated.numUpdatedRows > 0n;
	}

	async scimAttributes(orgId: string, userId?: string): Promise<Map<string, ScimAttributesRecord>> {
		let query = this.db.selectFrom('scim_attributes').selectAll().where('org_id', '=', orgId);
		if (userId !== undefined) {
			query = query.where('user_id', '=', userId);
		}
		const rows = await query.execute();
		return new Map(
			rows.map((row) => [
				row.user_id,
				{ userId: row.user_id, orgId: row.org_id, attributesJson: row.attributes_json, updatedAt: Number(row.updated_at) },
			]),
		);
	}

	async saveScimAttributes(record: ScimAttributesRecord): Promise<void> {
		const row = { user_id: record.userId, org_id: record.orgId, attributes_json: record.attributesJson, updated_at: record.updatedAt };
		await this.db
			.insertInto('scim_attributes')
			.values(row)
			.onConflict((conflict) =>
				conflict.column('user_id').doUpdateSet({ attributes_json: row.attributes_json, updated_at: row.updated_at }),
			)
			.execute();
	}
}
