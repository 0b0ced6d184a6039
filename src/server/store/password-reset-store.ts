import type { Kysely, Transaction } from 'kysely';
import { endSignInsWithin } from './sql-member-store';
import type { ExternalChange } from './store';
import type { Tables } from './tables';

/** A one-time link that sets a person's password; only its hash is kept. */
export interface PasswordResetRecord {
	tokenHash: string;
	orgId: string;
	userId: string;
	/** The admin who made it, or `system` for the operator's `admin reset-link`. */
	createdBy: string;
	createdAt: number;
	expiresAt: number;
	usedAt: number | null;
}

export type PasswordResetOutcome = 'reset' | 'already-used';

/** Password reset links: one unused link per person at a time, each used once. */
export interface PasswordResetStore {
	/** Stores the link and, in the same transaction, deletes the person's unused ones (one link works at a time). */
	issue(record: PasswordResetRecord): Promise<void>;
	get(tokenHash: string): Promise<PasswordResetRecord | undefined>;
	/**
	 * Uses the link once: in one transaction marks it used, sets the password hash (and marks the
	 * account break-glass when asked), and ends every VS Code and console sign-in of the person,
	 * announced to the other instances. `already-used` changes nothing.
	 */
	redeem(tokenHash: string, passwordHash: string, at: number, options: { breakGlass: boolean }): Promise<PasswordResetOutcome>;
	/** Voids the person's unused link that still works (an admin withdrew it); how many there were (0 or 1). */
	withdraw(orgId: string, userId: string, now: number): Promise<number>;
	/** Until when each person's unused link works, for those of the organization who have one. */
	pendingUntil(orgId: string, now: number): Promise<Map<string, number>>;
}

type ResetRow = Tables['password_resets'];

const toRecord = (row: ResetRow): PasswordResetRecord => ({
	tokenHash: row.token_hash,
	orgId: row.org_id,
	userId: row.user_id,
	createdBy: row.created_by,
	createdAt: row.created_at,
	expiresAt: row.expires_at,
	usedAt: row.used_at,
});

export class SqlPasswordResetStore implements PasswordResetStore {
	constructor(
		private readonly db: Kysely<Tables>,
		private readonly announce: (trx: Transaction<Tables>, change: ExternalChange) => Promise<void>,
	) {}

	async issue(record: PasswordResetRecord): Promise<void> {
		await this.db.transaction().execute(async (trx) => {
			await trx.deleteFrom('password_resets').where('user_id', '=', record.userId).where('used_at', 'is', null).execute();
			await trx
				.insertInto('password_resets')
				.values({
					token_hash: record.tokenHash,
					org_id: record.orgId,
					user_id: record.userId,
					created_by: record.createdBy,
					created_at: record.createdAt,
					expires_at: record.expiresAt,
					used_at: record.usedAt,
				})
				.execute();
		});
	}

	async get(tokenHash: string): Promise<PasswordResetRecord | undefined> {
		const row = await this.db.selectFrom('password_resets').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
		return row && toRecord(row);
	}

	async redeem(
		tokenHash: string,
		passwordHash: string,
		at: number,
		{ breakGlass }: { breakGlass: boolean },
	): Promise<PasswordResetOutcome> {
		return this.db.transaction().execute(async (trx) => {
			const used = await trx
				.updateTable('password_resets')
				.set({ used_at: at })
				.where('token_hash', '=', tokenHash)
				.where('used_at', 'is', null)
				.returning('user_id')
				.executeTakeFirst();
			if (!used) {
				return 'already-used' as const;
			}
			const userId = used.user_id;
			await trx
				.updateTable('users')
				.set({ password_hash: passwordHash, ...(breakGlass ? { break_glass: 1 } : {}) })
				.where('id', '=', userId)
				.execute();
			await endSignInsWithin(trx, userId, at, 'password_reset');
			await this.announce(trx, { kind: 'revoked', userId });
			return 'reset' as const;
		});
	}

	async withdraw(orgId: string, userId: string, now: number): Promise<number> {
		const deleted = await this.db
			.deleteFrom('password_resets')
			.where('org_id', '=', orgId)
			.where('user_id', '=', userId)
			.where('used_at', 'is', null)
			.where('expires_at', '>', now)
			.executeTakeFirst();
		return Number(deleted.numDeletedRows);
	}

	async pendingUntil(orgId: string, now: number): Promise<Map<string, number>> {
		const rows = await this.db
			.selectFrom('password_resets')
			.select(['user_id', 'expires_at'])
			.where('org_id', '=', orgId)
			.where('used_at', 'is', null)
			.where('expires_at', '>', now)
			.execute();
		return new Map(rows.map((row) => [row.user_id, Number(row.expires_at)]));
	}
}
