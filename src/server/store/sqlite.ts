import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { migrateToLatest, type DialectSpecifics } from './dialect';
import { SqlStore } from './sql-store';
import type { Tables } from './tables';

export const SQLITE_FILE = 'policy.sqlite';

/** The database is there but is not one this service may open; the message says what to do. */
export class StoreOpenError extends Error {
	override readonly name = 'StoreOpenError';
}

/** Refuses to open what would otherwise silently become a brand-new organization with a new key. */
function checkExisting(db: Database.Database, file: string): void {
	const check = db.pragma('quick_check', { simple: true });
	if (check !== 'ok') {
		throw new StoreOpenError(`${file} is damaged (quick_check: ${String(check)}); restore it from a backup`);
	}
	const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
	if (tables.has('schema_migrations') && !tables.has('kysely_migration')) {
		throw new StoreOpenError(
			`${file} was written by an earlier preview of this service (before 0.2) and cannot be upgraded in place; start with another --data-dir`,
		);
	}
	if (!tables.has('kysely_migration')) {
		throw new StoreOpenError(
			`${file} exists but holds no policy data (empty or not this service's database); move it away to start afresh, or restore it from a backup`,
		);
	}
}

/**
 * When COMMIT fails (SQLITE_FULL on a full disk, an I/O error), SQLite has already rolled the
 * transaction back; the query builder's own ROLLBACK then fails ("no transaction is active") and
 * that error would replace the real one. Only a transaction still open is rolled back.
 */
class SqliteDriverKeepingCause extends SqliteDriver {
	constructor(private readonly database: Database.Database) {
		super({ database });
	}

	override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
		if (this.database.inTransaction) {
			await super.rollbackTransaction(connection);
		}
	}
}

class PolicySqliteDialect extends SqliteDialect {
	constructor(private readonly database: Database.Database) {
		super({ database });
	}

	override createDriver(): Driver {
		return new SqliteDriverKeepingCause(this.database);
	}
}

const sqliteSpecifics: DialectSpecifics = {
	kind: 'sqlite',
	// One process owns the file and Kysely runs its transactions one at a time on one connection.
	serializeOrganization: async () => undefined,
	announce: async () => undefined,
	isUniqueViolation: (error) =>
		typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_CONSTRAINT_'),
	close: async () => undefined,
};

/**
 * Opens `policy.sqlite` in the data directory (created when missing), or an in-memory database.
 * The directory is private to the service's user: the file holds the signing key and header values.
 */
export async function openSqliteStore(dataDir: string | ':memory:'): Promise<SqlStore> {
	let db: Database.Database;
	if (dataDir === ':memory:') {
		db = new Database(':memory:');
	} else {
		if (existsSync(dataDir)) {
			const mode = statSync(dataDir).mode & 0o777;
			if (mode & 0o077) {
				throw new StoreOpenError(
					`the data directory ${dataDir} is open to other users (mode ${mode.toString(8)}), and its database holds the signing key and header values: run chmod 700 ${dataDir}`,
				);
			}
		}
		mkdirSync(dataDir, { recursive: true, mode: 0o700 });
		const file = join(dataDir, SQLITE_FILE);
		// Only a missing database is created; an existing one must be ours and whole.
		const existed = existsSync(file);
		db = new Database(file);
		if (existed) {
			try {
				checkExisting(db, file);
			} catch (error) {
				db.close();
				throw error instanceof StoreOpenError ? error : new StoreOpenError(`${file} cannot be read: ${(error as Error).message}`);
			}
		}
		for (const name of [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`]) {
			if (existsSync(join(dataDir, name))) {
				chmodSync(join(dataDir, name), 0o600);
			}
		}
	}
	db.pragma('journal_mode = WAL');
	db.pragma('foreign_keys = ON');
	db.pragma('busy_timeout = 5000');
	// Policy writes are rare; a power cut must not lose a save the admin saw acknowledged.
	db.pragma('synchronous = FULL');
	const kysely = new Kysely<Tables>({ dialect: new PolicySqliteDialect(db) });
	await migrateToLatest(kysely);
	return new SqlStore(kysely, sqliteSpecifics);
}
