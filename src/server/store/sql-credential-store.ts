import type { Kysely } from 'kysely';
import type { DialectSpecifics } from './dialect';
import { deviceRow, toDevice, toToken, toTokenWithUser, tokenRow, USER_COLUMNS_PREFIXED } from './rows';
import type { DeviceCodeRecord, ExternalChange, RevocationReason, Store, TokenRecord, UserRecord } from './store';
import type { Tables } from './tables';

type CredentialMethods =
	| 'createDeviceCode'
	| 'getDeviceCode'
	| 'findDeviceCodeByUserCode'
	| 'updateDeviceCode'
	| 'consumeDeviceCode'
	| 'insertTokens'
	| 'getToken'
	| 'getTokenWithUser'
	| 'markTokenUsed'
	| 'revokeToken'
	| 'revokeFamily'
	| 'listAdminApiTokens'
	| 'noteAdminApiTokenUse'
	| 'purgeExpired';

/**
 * The sign-in credentials part of the SQL store: device authorizations (RFC 8628) and the tokens
 * they become, with their revocation announced to the other instances, and the purge of what expired.
 */
export abstract class SqlCredentialStore implements Pick<Store, CredentialMethods> {
	constructor(
		protected readonly db: Kysely<Tables>,
		protected readonly dialect: DialectSpecifics,
	) {}

	async createDeviceCode(code: DeviceCodeRecord): Promise<void> {
		await this.db.insertInto('device_codes').values(deviceRow(code)).execute();
	}

	async getDeviceCode(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined> {
		const row = await this.db.selectFrom('device_codes').selectAll().where('device_code_hash', '=', deviceCodeHash).executeTakeFirst();
		return row && toDevice(row);
	}

	async findDeviceCodeByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
		const row = await this.db.selectFrom('device_codes').selectAll().where('user_code', '=', userCode).executeTakeFirst();
		return row && toDevice(row);
	}

	async updateDeviceCode(
		deviceCodeHash: string,
		change: Partial<Pick<DeviceCodeRecord, 'status' | 'userId' | 'lastPolledAt' | 'intervalSeconds'>>,
	): Promise<void> {
		const set = {
			...(change.status !== undefined ? { status: change.status } : {}),
			...(change.userId !== undefined ? { user_id: change.userId } : {}),
			...(change.lastPolledAt !== undefined ? { last_polled_at: change.lastPolledAt } : {}),
			...(change.intervalSeconds !== undefined ? { interval_seconds: change.intervalSeconds } : {}),
		};
		if (Object.keys(set).length > 0) {
			await this.db.updateTable('device_codes').set(set).where('device_code_hash', '=', deviceCodeHash).execute();
		}
	}

	async consumeDeviceCode(deviceCodeHash: string): Promise<boolean> {
		const result = await this.db
			.updateTable('device_codes')
			.set({ status: 'used' })
			.where('device_code_hash', '=', deviceCodeHash)
			.where('status', '=', 'approved')
			.executeTakeFirst();
		return result.numUpdatedRows === 1n;
	}

	async insertTokens(tokens: TokenRecord[]): Promise<void> {
		await this.db.insertInto('tokens').values(tokens.map(tokenRow)).execute();
	}

	async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
		const row = await this.db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
		return row && toToken(row);
	}

	/** Tokens with the account each belongs to, in one read. */
	private tokensWithUsers() {
		return this.db.selectFrom('tokens as t').innerJoin('users as u', 'u.id', 't.user_id').selectAll('t').select(USER_COLUMNS_PREFIXED);
	}

	async getTokenWithUser(tokenHash: string): Promise<{ token: TokenRecord; user: UserRecord } | undefined> {
		const row = await this.tokensWithUsers().where('t.token_hash', '=', tokenHash).executeTakeFirst();
		return row && toTokenWithUser(row);
	}

	async markTokenUsed(tokenHash: string, at: number): Promise<boolean> {
		const result = await this.db
			.updateTable('tokens')
			.set({ used_at: at })
			.where('token_hash', '=', tokenHash)
			.where('used_at', 'is', null)
			.executeTakeFirst();
		return result.numUpdatedRows === 1n;
	}

	async revokeToken(tokenHash: string, at: number, reason: RevocationReason): Promise<void> {
		await this.revokeWhere('token_hash', tokenHash, at, reason, { kind: 'revoked', tokenHash });
	}

	/** Revokes the tokens not revoked yet whose column holds the value, with why, and tells the other instances. */
	private async revokeWhere(
		column: 'token_hash' | 'family_id',
		value: string,
		at: number,
		reason: RevocationReason,
		change: ExternalChange,
	): Promise<void> {
		await this.db.transaction().execute(async (trx) => {
			await trx
				.updateTable('tokens')
				.set({ revoked_at: at, revoked_reason: reason })
				.where(column, '=', value)
				.where('revoked_at', 'is', null)
				.execute();
			await this.dialect.announce(trx, change);
		});
	}

	async listAdminApiTokens(orgId: string): Promise<{ token: TokenRecord; user: UserRecord }[]> {
		const rows = await this.tokensWithUsers()
			.where('t.org_id', '=', orgId)
			.where('t.kind', '=', 'admin_api')
			.where('t.revoked_at', 'is', null)
			.orderBy('t.created_at', 'desc')
			.execute();
		return rows.map(toTokenWithUser);
	}

	async noteAdminApiTokenUse(tokenHash: string, at: number): Promise<void> {
		await this.db.updateTable('tokens').set({ used_at: at }).where('token_hash', '=', tokenHash).where('kind', '=', 'admin_api').execute();
	}

	async revokeFamily(familyId: string, at: number, reason: RevocationReason): Promise<void> {
		await this.revokeWhere('family_id', familyId, at, reason, { kind: 'revoked', familyId });
	}

	async purgeExpired(before: number): Promise<number> {
		return this.db.transaction().execute(async (trx) => {
			const deleted = await Promise.all([
				trx.deleteFrom('device_codes').where('expires_at', '<', before).executeTakeFirst(),
				trx.deleteFrom('invitations').where('expires_at', '<', before).where('accepted_at', 'is', null).executeTakeFirst(),
				// Tokens that never expire (admin API tokens) stay until revoked and then stay for the audit.
				trx.deleteFrom('tokens').where('expires_at', 'is not', null).where('expires_at', '<', before).executeTakeFirst(),
				trx.deleteFrom('sso_logins').where('expires_at', '<', before).executeTakeFirst(),
				trx.deleteFrom('password_resets').where('expires_at', '<', before).executeTakeFirst(),
			]);
			// A sign-in's report goes with the last of its tokens.
			await trx
				.deleteFrom('member_sign_ins')
				.where(({ not, exists, selectFrom }) =>
					not(exists(selectFrom('tokens').select('token_hash').whereRef('tokens.family_id', '=', 'member_sign_ins.family_id'))),
				)
				.execute();
			return deleted.reduce((sum, result) => sum + Number(result.numDeletedRows), 0);
		});
	}
}
