import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, type DialectSpecifics } from './dialect';
import { SqlStore } from './sql-store';
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
	private listening = false;
	private closed = false;
	private reconnectTimer: NodeJS.Timeout | undefined;

	constructor(private readonly connectionString: string) {}

	/** False while the notification connection is down: other instances' changes are not arriving. */
	get notificationsHealthy(): boolean {
		return this.listening;
	}

	async listen(): Promise<void> {
		const client = new pg.Client({ connectionString: this.connectionString });
		// A dropped listening connection (a database restart, a failover) is reconnected with
		// backoff; until then readiness fails and reads go to the database.
		client.on('error', (error) => this.lost(client, error.message));
		client.on('end', () => this.lost(client, 'the connection ended'));
		await client.connect();
		client.on('notification', (message) => {
			if (message.channel !== CHANNEL || !message.payload) {
				return;
			}
			const { from, change } = JSON.parse(message.payload) as { from: string; change: ExternalChange };
			if (from !== this.instance) {
				this.emit(change);
			}
		});
		await client.query(`LISTEN ${CHANNEL}`);
		this.listener = client;
		this.listening = true;
	}

	private emit(change: ExternalChange): void {
		this.listeners.forEach((listener) => listener(change));
	}

	private lost(client: pg.Client, reason: string): void {
		if (this.closed || client !== this.listener || !this.listening) {
			return;
		}
		this.listening = false;
		console.error(`org-policy: lost the PostgreSQL notification connection (${reason}); reconnecting`);
		void client.end().catch(() => undefined);
		this.reconnect(0);
	}

	private reconnect(attempt: number): void {
		const delay = Math.min(30_000, 250 * 2 ** attempt);
		this.reconnectTimer = setTimeout(() => {
			this.listen()
				.then(() => {
					console.error('org-policy: the PostgreSQL notification connection is back; re-reading what changed meanwhile');
					// What other instances did while this one was deaf: every revision and revocation.
					this.emit({ kind: 'resync' });
				})
				.catch(() => {
					if (!this.closed) {
						this.reconnect(attempt + 1);
					}
				});
		}, delay);
		this.reconnectTimer.unref();
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
		this.closed = true;
		clearTimeout(this.reconnectTimer);
		await this.listener?.end().catch(() => undefined);
		this.listener = undefined;
	}
}

/** Opens the shared database, migrating it if needed (one instance at a time), and starts listening. */
export async function openPostgresStore(connectionString: string): Promise<SqlStore> {
	// Timestamps are BIGINT milliseconds: read them as numbers (exact below 2^53, i.e. for 285,000 years).
	const types = {
		getTypeParser: ((oid: number, format?: string) =>
			oid === BIGINT_OID
				? (value: string) => Number(value)
				: pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
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
