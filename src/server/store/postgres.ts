import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { toDevice, toInvitation, toRevision, toToken, toTokenWithUser, toUser, TOKEN_WITH_USER_SELECT, type Row } from './rows';
import type { AppendResult, DeviceCodeRecord, ExternalChange, InvitationRecord, OrganizationRecord, RevisionRecord, SigningKeyRecord, Store, TokenRecord, UserRecord } from './store';

/** The same schema as SQLite's, with 64-bit integers for millisecond timestamps. */
export const PG_MIGRATIONS: readonly string[] = [
	`CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
	CREATE TABLE signing_keys (org_id TEXT PRIMARY KEY REFERENCES organizations(id), private_key_pem TEXT NOT NULL, created_at TEXT NOT NULL);
	CREATE TABLE policy_revisions (
		org_id TEXT NOT NULL REFERENCES organizations(id), revision INTEGER NOT NULL, signed_json TEXT NOT NULL,
		created_at TEXT NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (org_id, revision));
	CREATE TABLE users (
		id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), email TEXT NOT NULL,
		role TEXT NOT NULL CHECK (role IN ('admin', 'member')), password_hash TEXT, created_at TEXT NOT NULL,
		last_seen_at TEXT, applied_revision INTEGER, applied_at TEXT, UNIQUE (org_id, email));
	CREATE TABLE invitations (
		token_hash TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), email TEXT NOT NULL,
		role TEXT NOT NULL CHECK (role IN ('admin', 'member')), created_by TEXT NOT NULL, created_at TEXT NOT NULL,
		expires_at TEXT NOT NULL, accepted_at TEXT);
	CREATE TABLE device_codes (
		device_code_hash TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL, expires_at BIGINT NOT NULL,
		interval_seconds INTEGER NOT NULL, last_polled_at BIGINT,
		status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'used')), user_id TEXT);
	CREATE TABLE tokens (
		token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'admin_api', 'console_session')),
		user_id TEXT NOT NULL, org_id TEXT NOT NULL, family_id TEXT, expires_at BIGINT, created_at BIGINT NOT NULL,
		used_at BIGINT, revoked_at BIGINT, csrf_token TEXT, label TEXT);
	CREATE INDEX tokens_by_user ON tokens (user_id, kind);
	CREATE INDEX tokens_by_family ON tokens (family_id);`,
];

const CHANNEL = 'org_policy_changes';
const BIGINT_OID = 20;

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The scale-out store: several stateless service instances share one PostgreSQL database and
 * hear each other's revisions and revocations through LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
	readonly kind = 'postgres';
	private readonly instance = randomUUID();
	private readonly listeners = new Set<(change: ExternalChange) => void>();
	private listener: pg.Client | undefined;

	static async open(connectionString: string): Promise<PostgresStore> {
		const store = new PostgresStore(connectionString);
		await store.migrate();
		await store.listen();
		return store;
	}

	private readonly pool: pg.Pool;

	private constructor(private readonly connectionString: string) {
		const types = { getTypeParser: ((oid: number, format?: string) => (oid === BIGINT_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };
		this.pool = new pg.Pool({ connectionString, max: 10, types });
		// An idle connection can die (server restart, failover); the pool replaces it on demand.
		// Unhandled, pg would raise it as an uncaught error and stop the service.
		this.pool.on('error', (error) => console.error(`org-policy: a PostgreSQL connection failed: ${error.message}`));
	}

	private async migrate(): Promise<void> {
		await this.transaction(async (client) => {
			// One instance migrates at a time; the others wait here, then find nothing to do.
			await client.query('SELECT pg_advisory_xact_lock(727001)');
			await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
			const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((row: Row) => row.version as number));
			for (const [index, sql] of PG_MIGRATIONS.entries()) {
				if (!applied.has(index + 1)) {
					await client.query(sql);
					await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, new Date().toISOString()]);
				}
			}
		});
	}

	private async listen(): Promise<void> {
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

	onExternalChange(listener: (change: ExternalChange) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	async schemaVersion(): Promise<number> {
		return (await this.pool.query('SELECT MAX(version) AS v FROM schema_migrations')).rows[0].v as number;
	}

	private async notify(client: Queryable, change: ExternalChange): Promise<void> {
		// Inside the writing transaction: delivered only if it commits.
		await client.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ from: this.instance, change })]);
	}

	private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		try {
			await client.query('BEGIN');
			const result = await work(client);
			await client.query('COMMIT');
			return result;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	}

	private async one(sql: string, values: unknown[] = []): Promise<Row | undefined> {
		return (await this.pool.query(sql, values)).rows[0] as Row | undefined;
	}

	private async all(sql: string, values: unknown[] = []): Promise<Row[]> {
		return (await this.pool.query(sql, values)).rows as Row[];
	}

	async ping(): Promise<void> {
		await this.pool.query('SELECT 1');
	}

	async close(): Promise<void> {
		await this.listener?.end().catch(() => undefined);
		this.listener = undefined;
		await this.pool.end().catch(() => undefined);
	}

	async getOrganization(id: string): Promise<OrganizationRecord | undefined> {
		const row = await this.one('SELECT id, name, created_at FROM organizations WHERE id = $1', [id]);
		return row && { id: row.id as string, name: row.name as string, createdAt: row.created_at as string };
	}

	async listOrganizations(): Promise<OrganizationRecord[]> {
		return (await this.all('SELECT id, name, created_at FROM organizations ORDER BY created_at')).map((row) => ({ id: row.id as string, name: row.name as string, createdAt: row.created_at as string }));
	}

	async createOrganization(org: OrganizationRecord, key: SigningKeyRecord, firstRevision: (revision: number) => RevisionRecord): Promise<void> {
		await this.transaction(async (client) => {
			await client.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)', [org.id, org.name, org.createdAt]);
			await client.query('INSERT INTO signing_keys (org_id, private_key_pem, created_at) VALUES ($1, $2, $3)', [key.orgId, key.privateKeyPem, key.createdAt]);
			await this.insertRevision(client, firstRevision(1));
		});
	}

	async getSigningKey(orgId: string): Promise<SigningKeyRecord | undefined> {
		const row = await this.one('SELECT org_id, private_key_pem, created_at FROM signing_keys WHERE org_id = $1', [orgId]);
		return row && { orgId: row.org_id as string, privateKeyPem: row.private_key_pem as string, createdAt: row.created_at as string };
	}

	private async insertRevision(client: Queryable, record: RevisionRecord): Promise<void> {
		await client.query('INSERT INTO policy_revisions (org_id, revision, signed_json, created_at, created_by) VALUES ($1, $2, $3, $4, $5)', [
			record.orgId,
			record.revision,
			record.signedJson,
			record.createdAt,
			record.createdBy,
		]);
	}

	async latestRevision(orgId: string): Promise<RevisionRecord | undefined> {
		const row = await this.one('SELECT * FROM policy_revisions WHERE org_id = $1 ORDER BY revision DESC LIMIT 1', [orgId]);
		return row && toRevision(row);
	}

	async listRevisions(orgId: string, limit: number): Promise<RevisionRecord[]> {
		return (await this.all('SELECT * FROM policy_revisions WHERE org_id = $1 ORDER BY revision DESC LIMIT $2', [orgId, limit])).map(toRevision);
	}

	async appendRevision(orgId: string, expected: number | 'any', build: (revision: number) => RevisionRecord): Promise<AppendResult> {
		try {
			return await this.transaction(async (client): Promise<AppendResult> => {
				// Serializes writers of one organization across every instance.
				await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`policy:${orgId}`]);
				const row = (await client.query('SELECT * FROM policy_revisions WHERE org_id = $1 ORDER BY revision DESC LIMIT 1', [orgId])).rows[0] as Row | undefined;
				const current = row && toRevision(row);
				const latest = current?.revision ?? 0;
				if (expected !== 'any' && expected !== latest) {
					return { ok: false, current };
				}
				const record = build(latest + 1);
				await this.insertRevision(client, record);
				await this.notify(client, { kind: 'revision', orgId });
				return { ok: true, record };
			});
		} catch (error) {
			if ((error as { code?: string }).code === '23505') {
				return { ok: false, current: await this.latestRevision(orgId) };
			}
			throw error;
		}
	}

	async createUser(user: UserRecord): Promise<void> {
		await this.insertUser(this.pool, user);
	}

	private async insertUser(client: Queryable, user: UserRecord): Promise<void> {
		await client.query('INSERT INTO users (id, org_id, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
			user.id,
			user.orgId,
			user.email,
			user.role,
			user.passwordHash,
			user.createdAt,
		]);
	}

	async getUser(id: string): Promise<UserRecord | undefined> {
		const row = await this.one('SELECT * FROM users WHERE id = $1', [id]);
		return row && toUser(row);
	}

	async findUserByEmail(orgId: string, email: string): Promise<UserRecord | undefined> {
		const row = await this.one('SELECT * FROM users WHERE org_id = $1 AND email = $2', [orgId, email.toLowerCase()]);
		return row && toUser(row);
	}

	async findUsersByEmail(email: string): Promise<UserRecord[]> {
		return (await this.all('SELECT * FROM users WHERE email = $1 ORDER BY created_at', [email.toLowerCase()])).map(toUser);
	}

	async listUsers(orgId: string): Promise<UserRecord[]> {
		return (await this.all('SELECT * FROM users WHERE org_id = $1 ORDER BY email', [orgId])).map(toUser);
	}

	async removeUser(id: string, at: number): Promise<boolean> {
		return this.transaction(async (client) => {
			await client.query('UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [at, id]);
			const removed = ((await client.query('DELETE FROM users WHERE id = $1', [id])).rowCount ?? 0) > 0;
			await this.notify(client, { kind: 'revoked', userId: id });
			return removed;
		});
	}

	async recordSeen(userId: string, at: string): Promise<void> {
		await this.pool.query('UPDATE users SET last_seen_at = $1 WHERE id = $2', [at, userId]);
	}

	async recordApplied(userId: string, revision: number, at: string): Promise<void> {
		await this.pool.query('UPDATE users SET applied_revision = $1, applied_at = $2, last_seen_at = $2 WHERE id = $3', [revision, at, userId]);
	}

	async createInvitation(invitation: InvitationRecord): Promise<void> {
		await this.pool.query('INSERT INTO invitations (token_hash, org_id, email, role, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
			invitation.tokenHash,
			invitation.orgId,
			invitation.email,
			invitation.role,
			invitation.createdBy,
			invitation.createdAt,
			invitation.expiresAt,
		]);
	}

	async getInvitation(tokenHash: string): Promise<InvitationRecord | undefined> {
		const row = await this.one('SELECT * FROM invitations WHERE token_hash = $1', [tokenHash]);
		return row && toInvitation(row);
	}

	async acceptInvitation(tokenHash: string, user: UserRecord, at: string): Promise<boolean> {
		return this.transaction(async (client) => {
			const changed = (await client.query('UPDATE invitations SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL', [at, tokenHash])).rowCount ?? 0;
			if (changed === 0) {
				return false;
			}
			await this.insertUser(client, user);
			return true;
		});
	}

	async listInvitations(orgId: string): Promise<InvitationRecord[]> {
		return (await this.all('SELECT * FROM invitations WHERE org_id = $1 AND accepted_at IS NULL ORDER BY created_at', [orgId])).map(toInvitation);
	}

	async createDeviceCode(code: DeviceCodeRecord): Promise<void> {
		await this.pool.query('INSERT INTO device_codes (device_code_hash, user_code, client_id, expires_at, interval_seconds, status) VALUES ($1, $2, $3, $4, $5, $6)', [
			code.deviceCodeHash,
			code.userCode,
			code.clientId,
			code.expiresAt,
			code.intervalSeconds,
			code.status,
		]);
	}

	async getDeviceCode(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined> {
		const row = await this.one('SELECT * FROM device_codes WHERE device_code_hash = $1', [deviceCodeHash]);
		return row && toDevice(row);
	}

	async findDeviceCodeByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
		const row = await this.one('SELECT * FROM device_codes WHERE user_code = $1', [userCode]);
		return row && toDevice(row);
	}

	async updateDeviceCode(deviceCodeHash: string, change: Partial<Pick<DeviceCodeRecord, 'status' | 'userId' | 'lastPolledAt' | 'intervalSeconds'>>): Promise<void> {
		const columns: Record<string, string> = { status: 'status', userId: 'user_id', lastPolledAt: 'last_polled_at', intervalSeconds: 'interval_seconds' };
		const entries = Object.entries(change).filter(([, value]) => value !== undefined);
		if (entries.length === 0) {
			return;
		}
		const assignments = entries.map(([key], index) => `${columns[key]} = $${index + 1}`).join(', ');
		await this.pool.query(`UPDATE device_codes SET ${assignments} WHERE device_code_hash = $${entries.length + 1}`, [...entries.map(([, value]) => value), deviceCodeHash]);
	}

	async consumeDeviceCode(deviceCodeHash: string): Promise<boolean> {
		return ((await this.pool.query("UPDATE device_codes SET status = 'used' WHERE device_code_hash = $1 AND status = 'approved'", [deviceCodeHash])).rowCount ?? 0) === 1;
	}

	async insertTokens(tokens: TokenRecord[]): Promise<void> {
		await this.transaction(async (client) => {
			for (const token of tokens) {
				await client.query(
					'INSERT INTO tokens (token_hash, kind, user_id, org_id, family_id, expires_at, created_at, csrf_token, label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
					[token.tokenHash, token.kind, token.userId, token.orgId, token.familyId, token.expiresAt, token.createdAt, token.csrfToken, token.label],
				);
			}
		});
	}

	async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
		const row = await this.one('SELECT * FROM tokens WHERE token_hash = $1', [tokenHash]);
		return row && toToken(row);
	}

	async getTokenWithUser(tokenHash: string): Promise<{ token: TokenRecord; user: UserRecord } | undefined> {
		return toTokenWithUser(await this.one(`${TOKEN_WITH_USER_SELECT} WHERE t.token_hash = $1`, [tokenHash]));
	}

	async markTokenUsed(tokenHash: string, at: number): Promise<boolean> {
		return ((await this.pool.query('UPDATE tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL', [at, tokenHash])).rowCount ?? 0) === 1;
	}

	async revokeToken(tokenHash: string, at: number): Promise<void> {
		await this.transaction(async (client) => {
			await client.query('UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL', [at, tokenHash]);
			await this.notify(client, { kind: 'revoked' });
		});
	}

	async revokeFamily(familyId: string, at: number): Promise<void> {
		await this.transaction(async (client) => {
			await client.query('UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL', [at, familyId]);
			await this.notify(client, { kind: 'revoked' });
		});
	}

}
