import type { Kysely } from 'kysely';
import type { DialectSpecifics } from './dialect';
import { SqlMemberStore } from './sql-member-store';
import { SqlAuditStore, type AuditStore } from './audit-store';
import { SqlIdentityStore, type IdentityStore } from './identity-store';
import { SqlUsageStore, type UsageStore } from './usage-store';
import { SqlMemberSignInsStore, type MemberSignInsStore } from './member-sign-ins-store';
import { SqlTokenKeyStore, type TokenKeyStore } from './token-key-store';
import { SqlGroupStore, type GroupStore } from './group-store';
import { SqlPasswordResetStore, type PasswordResetStore } from './password-reset-store';
import type {
	AppendResult,
	ExternalChange,
	OrganizationRecord,
	RevisionRecord,
	RolloutOutcomeRecord,
	KeyEndorsementRecord,
	SigningKeyRecord,
	Store,
} from './store';
import { keyEndorsementRow, revisionRow, toKeyEndorsement, toSigningKey, toOrganization, toRevision } from './rows';
import type { Tables } from './tables';

/** The {@link Store} on Kysely: one implementation for SQLite and PostgreSQL. */
export class SqlStore extends SqlMemberStore implements Store {
	readonly kind: Store['kind'];
	readonly identity: IdentityStore;
	readonly audit: AuditStore;
	readonly usage: UsageStore;
	readonly groups: GroupStore;
	readonly tokenKeys: TokenKeyStore;
	readonly signIns: MemberSignInsStore;
	readonly passwordResets: PasswordResetStore;

	constructor(db: Kysely<Tables>, dialect: DialectSpecifics) {
		super(db, dialect);
		this.kind = dialect.kind;
		this.identity = new SqlIdentityStore(db, dialect);
		this.audit = new SqlAuditStore(db);
		this.usage = new SqlUsageStore(db);
		this.groups = new SqlGroupStore(db, (trx, orgId) => dialect.announce(trx, { kind: 'groups', orgId }));
		this.tokenKeys = new SqlTokenKeyStore(db);
		this.signIns = new SqlMemberSignInsStore(db);
		this.passwordResets = new SqlPasswordResetStore(db, (trx, change) => dialect.announce(trx, change));
		if (dialect.onExternalChange) {
			this.onExternalChange = (listener) => dialect.onExternalChange!(listener);
			this.notificationsHealthy = () => dialect.notificationsHealthy !== false;
		}
	}

	onExternalChange?: (listener: (change: ExternalChange) => void) => () => void;
	notificationsHealthy?: () => boolean;

	async ping(): Promise<void> {
		await this.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
	}

	async close(): Promise<void> {
		await this.dialect.close();
		await this.db.destroy();
	}

	async getOrganization(id: string): Promise<OrganizationRecord | undefined> {
		const row = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
		return row && toOrganization(row);
	}

	async listOrganizations(): Promise<OrganizationRecord[]> {
		return (await this.db.selectFrom('organizations').selectAll().orderBy('created_at').execute()).map(toOrganization);
	}

	async createOrganization(org: OrganizationRecord, key: SigningKeyRecord, firstRevision: RevisionRecord): Promise<void> {
		await this.db.transaction().execute(async (trx) => {
			await trx.insertInto('organizations').values({ id: org.id, name: org.name, created_at: org.createdAt }).execute();
			await trx
				.insertInto('signing_keys')
				.values({ org_id: key.orgId, private_key_pem: key.privateKeyPem ?? '', public_key: key.publicKey, created_at: key.createdAt })
				.execute();
			await trx.insertInto('policy_revisions').values(revisionRow(firstRevision)).execute();
		});
	}

	async getSigningKey(orgId: string): Promise<SigningKeyRecord | undefined> {
		const row = await this.db.selectFrom('signing_keys').selectAll().where('org_id', '=', orgId).executeTakeFirst();
		return row && toSigningKey(row);
	}

	async listKeyEndorsements(orgId: string): Promise<KeyEndorsementRecord[]> {
		return (await this.db.selectFrom('key_endorsements').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute()).map(
			toKeyEndorsement,
		);
	}

	async addKeyEndorsement(endorsement: KeyEndorsementRecord): Promise<boolean> {
		try {
			await this.db.insertInto('key_endorsements').values(keyEndorsementRow(endorsement)).execute();
			return true;
		} catch (error) {
			if (this.dialect.isUniqueViolation(error)) {
				return false;
			}
			throw error;
		}
	}

	async forgetPrivateKey(orgId: string): Promise<void> {
		await this.db.updateTable('signing_keys').set({ private_key_pem: '' }).where('org_id', '=', orgId).execute();
	}

	private latestQuery(db: Kysely<Tables>, orgId: string) {
		return db.selectFrom('policy_revisions').selectAll().where('org_id', '=', orgId).orderBy('revision', 'desc').limit(1);
	}

	async latestRevision(orgId: string): Promise<RevisionRecord | undefined> {
		const row = await this.latestQuery(this.db, orgId).executeTakeFirst();
		return row && toRevision(row);
	}

	async listRevisions(orgId: string, limit: number): Promise<RevisionRecord[]> {
		const rows = await this.db
			.selectFrom('policy_revisions')
			.selectAll()
			.where('org_id', '=', orgId)
			.orderBy('revision', 'desc')
			.limit(limit)
			.execute();
		return rows.map(toRevision);
	}

	async appendRevision(orgId: string, expected: number | 'any', build: (revision: number) => RevisionRecord): Promise<AppendResult> {
		try {
			return await this.db.transaction().execute(async (trx): Promise<AppendResult> => {
				await this.dialect.serializeOrganization(trx, orgId);
				const row = await this.latestQuery(trx, orgId).executeTakeFirst();
				const current = row && toRevision(row);
				const latest = current?.revision ?? 0;
				if (expected !== 'any' && expected !== latest) {
					return { ok: false, current };
				}
				// Numbered past any revision a member holds beyond this database's (restored from a backup).
				const heldAhead = await trx.selectFrom('organizations').select('held_ahead_revision').where('id', '=', orgId).executeTakeFirst();
				const record = build(Math.max(latest, heldAhead?.held_ahead_revision ?? 0) + 1);
				await trx.insertInto('policy_revisions').values(revisionRow(record)).execute();
				await this.dialect.announce(trx, { kind: 'revision', orgId });
				return { ok: true, record };
			});
		} catch (error) {
			// Another writer took the same revision number first (the primary key is the last guard).
			if (this.dialect.isUniqueViolation(error)) {
				return { ok: false, current: await this.latestRevision(orgId) };
			}
			throw error;
		}
	}

	async noteRevisionHeld(orgId: string, userId: string, revision: number, at: number): Promise<void> {
		await this.db
			.updateTable('organizations')
			.set({ held_ahead_revision: revision, held_ahead_by: userId, held_ahead_at: at })
			.where('id', '=', orgId)
			.where((where) => where.or([where('held_ahead_revision', 'is', null), where('held_ahead_revision', '<', revision)]))
			.execute();
	}

	async endRollout(outcome: RolloutOutcomeRecord): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const inserted = await trx
				.insertInto('rollout_outcomes')
				.values({ org_id: outcome.orgId, revision: outcome.revision, outcome: outcome.outcome, at: outcome.at, by: outcome.by })
				.onConflict((conflict) => conflict.columns(['org_id', 'revision']).doNothing())
				.executeTakeFirst();
			const ended = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
			if (ended) {
				await this.dialect.announce(trx, { kind: 'rollout', orgId: outcome.orgId });
			}
			return ended;
		});
	}

	async rolloutOutcome(orgId: string, revision: number): Promise<RolloutOutcomeRecord | undefined> {
		const row = await this.db
			.selectFrom('rollout_outcomes')
			.selectAll()
			.where('org_id', '=', orgId)
			.where('revision', '=', revision)
			.executeTakeFirst();
		return (
			row && {
				orgId: row.org_id,
				revision: row.revision,
				outcome: row.outcome as RolloutOutcomeRecord['outcome'],
				at: Number(row.at),
				by: row.by,
			}
		);
	}
}
