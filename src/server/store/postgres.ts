import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, SqlStore, type DialectSpecifics } from './sql-store';
import type { ExternalChange } from './store';
import type { Tables } from './tables';

const CHANNEL = 'org_policy_changes';
const BIGINT_OID = 20;

/**
 * What only PostgreSQL does: several stateless instances share one database, serialize writers of
 * one organization with an advisory lock, and hear each other's revisions and revocations through
 * LISTEN/NOTIFY.
 */
class PostgresSpecifics implements DialectSpecifics {
	readonly kind = 'postgres';
	private readonly instance = randomUUID();
	private readonly listeners = new Set<(change: ExternalChange) => void>();
	private listener: pg.Client | undefined;

	constructor(private readonly connectionString: string) {}

	async listen(): Promise<void> {
		const client = new pg.Client({ connectionString: this.connectionString });
		await client.connect();
		client.on('notification', (message) => {
			if (message.channel !== CHANNEL || !message.payload) {
				return;
			}
			const { from, change } = JSON.parse(message.payload) as { from: string; change: ExternalChange };
			if (from !== this.instance) {
				this.listeners.forEach((listener) => listener(change));
			}
		});
		// A dropped listening connection would silently stop cross-instance updates: fail loudly.
		client.on('error', (error) => console.error(`org-policy: lost the PostgreSQL notification connection: ${error.message}`));
		await client.query(`LISTEN ${CHANNEL}`);
		this.listener = client;
	}

	async serializeOrganization(trx: Parameters<DialectSpecifics['serializeOrganization']>[0], orgId: string): Promise<void> {
		await sql`SELECT pg_advisory_xact_lock(hashtext(${`policy:${orgId}`}))`.execute(trx);
	}

	async announce(trx: Parameters<DialectSpecifics['announce']>[0], change: ExternalChange): Promise<void> {
		await sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ from: this.instance, change })})`.execute(trx);
	}

	isUniqueViolation(error: unknown): boolean {
		return (error as { code?: unknown }).code === '23505';
	}

	onExternalChange(listener: (change: ExternalChange) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	async close(): Promise<void> {
		await this.listener?.end().catch(() => undefined);
		this.listener = undefined;
	}
}

/** Opens the shared database, migrating it if needed (one instance at a time), and starts listening. */
export async function openPostgresStore(connectionString: string): Promise<SqlStore> {
	// Timestamps are BIGINT milliseconds: read them as numbers (exact below 2^53, i.e. for 285,000 years).
	const types = {
		getTypeParser: ((oid: number, format?: string) =>
			oid === BIGINT_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
	};
	const pool = new pg.Pool({ connectionString, max: 10, types });
	// An idle connection can die (server restart, failover); the pool replaces it on demand.
	// Unhandled, pg would raise it as an uncaught error and stop the service.
	pool.on('error', (error) => console.error(`org-policy: a PostgreSQL connection failed: ${error.message}`));
	const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
	const specifics = new PostgresSpecifics(connectionString);
	try {
		await migrateToLatest(db);
		await specifics.listen();
	} catch (error) {
		await specifics.close();
		await db.destroy();
		throw error;
	}
	return new SqlStore(db, specifics);
}
