import type { Kysely, Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import { MIGRATIONS } from './migrations';
import type { ExternalChange, Store } from './store';
import type { Tables } from './tables';

/**
 * What only one database does. Everything else — every query, the schema, the migrations — is
 * written once in {@link SqlStore}.
 */
export interface DialectSpecifics {
	readonly kind: Store['kind'];
	/** Inside a write transaction: waits until no writer of this organization's revisions (on any instance) is left. */
	serializeOrganization(trx: Transaction<Tables>, orgId: string): Promise<void>;
	/** Inside a write transaction: tells the other instances, delivered only if the transaction commits. */
	announce(trx: Transaction<Tables>, change: ExternalChange): Promise<void>;
	/** A primary-key or unique constraint refused the write. */
	isUniqueViolation(error: unknown): boolean;
	onExternalChange?(listener: (change: ExternalChange) => void): () => void;
	readonly notificationsHealthy?: boolean;
	/** Releases what the dialect holds beyond the query connection (PostgreSQL's listening connection). */
	close(): Promise<void>;
}

/** Brings the schema up to date; Kysely's migrator locks, so several instances may start together. */
export async function migrateToLatest(db: Kysely<Tables>): Promise<void> {
	const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
	const { error, results } = await migrator.migrateToLatest();
	if (error) {
		const failed = results?.find((result) => result.status === 'Error')?.migrationName;
		throw new Error(`database migration${failed ? ` ${failed}` : ''} failed: ${error instanceof Error ? error.message : String(error)}`);
	}
}
