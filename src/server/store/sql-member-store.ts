import type { Transaction } from 'kysely';
import { SqlCredentialStore } from './sql-credential-store';
import { invitationRow, toInvitation, toUser, userRow } from './rows';
import { recordSignInWithin } from './member-sign-ins-store';
import type { InvitationRecord, MemberReport, RevocationReason, Role, Store, UserRecord } from './store';
import type { Tables } from './tables';

type MemberMethods =
	| 'createUser'
	| 'getUser'
	| 'findUserByEmail'
	| 'findUsersByEmail'
	| 'listUsers'
	| 'removeUser'
	| 'endSignIns'
	| 'setRole'
	| 'setPassword'
	| 'recordSeen'
	| 'recordApplied'
	| 'createInvitation'
	| 'getInvitation'
	| 'acceptInvitation'
	| 'listInvitations'
	| 'withdrawInvitations';

/**
 * Inside a transaction: ends a person's sign-ins — VS Code's access and refresh tokens and console
 * sessions (only the console's with `consoleOnly`), but `keep` — and not the admin API tokens they
 * made, which are automation's. Returns how many ended; the caller announces it.
 */
export async function endSignInsWithin(
	trx: Transaction<Tables>,
	userId: string,
	at: number,
	reason: RevocationReason,
	{ keep, consoleOnly = false }: { keep?: string; consoleOnly?: boolean } = {},
): Promise<number> {
	let query = trx
		.updateTable('tokens')
		.set({ revoked_at: at, revoked_reason: reason })
		.where('user_id', '=', userId)
		.where('kind', 'in', consoleOnly ? ['console_session'] : ['access', 'refresh', 'console_session'])
		.where('revoked_at', 'is', null);
	if (keep !== undefined) {
		query = query.where('token_hash', '!=', keep);
	}
	return Number((await query.executeTakeFirst()).numUpdatedRows);
}

/**
 * The members part of the SQL store: accounts, what each member last applied and when they were
 * seen, and the invitations that become accounts. Removing a member ends their tokens in the same
 * transaction, announced to the other instances.
 */
export abstract class SqlMemberStore extends SqlCredentialStore implements Pick<Store, MemberMethods> {
	async createUser(user: UserRecord): Promise<void> {
		await this.db.insertInto('users').values(userRow(user)).execute();
	}

	async getUser(id: string): Promise<UserRecord | undefined> {
		const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
		return row && toUser(row);
	}

	async findUserByEmail(orgId: string, email: string): Promise<UserRecord | undefined> {
		const row = await this.db
			.selectFrom('users')
			.selectAll()
			.where('org_id', '=', orgId)
			.where('email', '=', email.toLowerCase())
			.executeTakeFirst();
		return row && toUser(row);
	}

	async findUsersByEmail(email: string): Promise<UserRecord[]> {
		return (await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).orderBy('created_at').execute()).map(
			toUser,
		);
	}

	async listUsers(orgId: string): Promise<UserRecord[]> {
		return (await this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).orderBy('email').execute()).map(toUser);
	}

	async removeUser(id: string, at: number): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			await trx.updateTable('tokens').set({ revoked_at: at }).where('user_id', '=', id).where('revoked_at', 'is', null).execute();
			await trx.deleteFrom('scim_attributes').where('user_id', '=', id).execute();
			await trx.deleteFrom('group_members').where('user_id', '=', id).execute();
			await trx.deleteFrom('password_resets').where('user_id', '=', id).execute();
			await trx.deleteFrom('member_sign_ins').where('user_id', '=', id).execute();
			const deleted = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
			await this.dialect.announce(trx, { kind: 'revoked', userId: id });
			return deleted.numDeletedRows > 0n;
		});
	}

	async endSignIns(userId: string, at: number): Promise<number> {
		return this.db.transaction().execute(async (trx) => {
			const ended = await endSignInsWithin(trx, userId, at, 'admin_sign_out');
			await this.dialect.announce(trx, { kind: 'revoked', userId });
			return ended;
		});
	}

	async setRole(userId: string, role: Role): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const updated = await trx.updateTable('users').set({ role }).where('id', '=', userId).executeTakeFirst();
			await this.dialect.announce(trx, { kind: 'account', userId });
			return updated.numUpdatedRows > 0n;
		});
	}

	async setPassword(userId: string, passwordHash: string, change: { keepSession: string; endSignIns: boolean; at: number }): Promise<void> {
		await this.db.transaction().execute(async (trx) => {
			await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
			await endSignInsWithin(trx, userId, change.at, 'password_changed', { keep: change.keepSession, consoleOnly: !change.endSignIns });
			await this.dialect.announce(trx, change.endSignIns ? { kind: 'revoked', userId } : { kind: 'account', userId });
		});
	}

	async recordSeen(report: MemberReport): Promise<void> {
		await this.recordReport(report, { last_seen_at: report.at });
	}

	async recordApplied(report: MemberReport & { revision: number }): Promise<void> {
		await this.recordReport(report, { applied_revision: report.revision, applied_at: report.at, last_seen_at: report.at }, report.revision);
	}

	/** The member's row and, when the call came on a sign-in, that sign-in's row: both or neither. */
	private async recordReport(
		report: MemberReport,
		changes: { last_seen_at: number; applied_revision?: number; applied_at?: number },
		appliedRevision?: number,
	): Promise<void> {
		const { userId, at, policySchema, signIn } = report;
		const schema = policySchema !== undefined ? { policy_schema: policySchema } : {};
		await this.db.transaction().execute(async (trx) => {
			await trx
				.updateTable('users')
				.set({ ...changes, ...schema })
				.where('id', '=', userId)
				.execute();
			if (signIn) {
				await recordSignInWithin(trx, {
					...signIn,
					userId,
					at,
					...(policySchema !== undefined ? { policySchema } : {}),
					...(appliedRevision !== undefined ? { appliedRevision } : {}),
				});
			}
		});
	}

	async createInvitation(invitation: InvitationRecord): Promise<void> {
		await this.db.insertInto('invitations').values(invitationRow(invitation)).execute();
	}

	async getInvitation(tokenHash: string): Promise<InvitationRecord | undefined> {
		const row = await this.db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
		return row && toInvitation(row);
	}

	async acceptInvitation(tokenHash: string, user: UserRecord, at: number): Promise<'accepted' | 'already-used' | 'already-member'> {
		try {
			return await this.db.transaction().execute(async (trx) => {
				const accepted = await trx
					.updateTable('invitations')
					.set({ accepted_at: at })
					.where('token_hash', '=', tokenHash)
					.where('accepted_at', 'is', null)
					.executeTakeFirst();
				if (accepted.numUpdatedRows === 0n) {
					return 'already-used' as const;
				}
				await trx.insertInto('users').values(userRow(user)).execute();
				return 'accepted' as const;
			});
		} catch (error) {
			// Another invitation for the same email was accepted first (users are unique per organization and email).
			if (this.dialect.isUniqueViolation(error)) {
				return 'already-member';
			}
			throw error;
		}
	}

	async listInvitations(orgId: string): Promise<InvitationRecord[]> {
		const rows = await this.db
			.selectFrom('invitations')
			.selectAll()
			.where('org_id', '=', orgId)
			.where('accepted_at', 'is', null)
			.orderBy('created_at')
			.execute();
		return rows.map(toInvitation);
	}

	async withdrawInvitations(orgId: string, email: string): Promise<number> {
		const deleted = await this.db
			.deleteFrom('invitations')
			.where('org_id', '=', orgId)
			.where('email', '=', email.toLowerCase())
			.where('accepted_at', 'is', null)
			.executeTakeFirst();
		return Number(deleted.numDeletedRows);
	}
}
