import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toDevice, toInvitation, toRevision, toToken, toTokenWithUser, toUser, TOKEN_WITH_USER_SELECT, type Row } from './rows';
import type { AppendResult, DeviceCodeRecord, InvitationRecord, OrganizationRecord, RevisionRecord, SigningKeyRecord, Store, TokenRecord, UserRecord } from './store';

/** Versioned schema migrations; a migration is never edited once released, only appended. */
export const MIGRATIONS: readonly string[] = [
	`CREATE TABLE organizations (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE signing_keys (
		org_id TEXT PRIMARY KEY REFERENCES organizations(id),
		private_key_pem TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE policy_revisions (
		org_id TEXT NOT NULL REFERENCES organizations(id),
		revision INTEGER NOT NULL,
		signed_json TEXT NOT NULL,
		created_at TEXT NOT NULL,
		created_by TEXT NOT NULL,
		PRIMARY KEY (org_id, revision)
	);
	CREATE TABLE users (
		id TEXT PRIMARY KEY,
		org_id TEXT NOT NULL REFERENCES organizations(id),
		email TEXT NOT NULL,
		role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
		password_hash TEXT,
		created_at TEXT NOT NULL,
		last_seen_at TEXT,
		applied_revision INTEGER,
		applied_at TEXT,
		UNIQUE (org_id, email)
	);
	CREATE TABLE invitations (
		token_hash TEXT PRIMARY KEY,
		org_id TEXT NOT NULL REFERENCES organizations(id),
		email TEXT NOT NULL,
		role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
		created_by TEXT NOT NULL,
		created_at TEXT NOT NULL,
		expires_at TEXT NOT NULL,
		accepted_at TEXT
	);
	CREATE TABLE device_codes (
		device_code_hash TEXT PRIMARY KEY,
		user_code TEXT NOT NULL UNIQUE,
		client_id TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		interval_seconds INTEGER NOT NULL,
		last_polled_at INTEGER,
		status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'used')),
		user_id TEXT
	);
	CREATE TABLE tokens (
		token_hash TEXT PRIMARY KEY,
		kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'admin_api', 'console_session')),
		user_id TEXT NOT NULL,
		org_id TEXT NOT NULL,
		family_id TEXT,
		expires_at INTEGER,
		created_at INTEGER NOT NULL,
		used_at INTEGER,
		revoked_at INTEGER,
		csrf_token TEXT,
		label TEXT
	);
	CREATE INDEX tokens_by_user ON tokens (user_id, kind);
	CREATE INDEX tokens_by_family ON tokens (family_id);`,
];

export class SqliteStore implements Store {
	readonly kind = 'sqlite';
	private readonly db: Database.Database;

	/** Opens (creating when needed) `policy.sqlite` in the data directory, or `:memory:`. */
	static open(dataDir: string | ':memory:'): SqliteStore {
		if (dataDir === ':memory:') {
			return new SqliteStore(new Database(':memory:'));
		}
		mkdirSync(dataDir, { recursive: true, mode: 0o700 });
		return new SqliteStore(new Database(join(dataDir, 'policy.sqlite')));
	}

	private readonly statements = new Map<string, Database.Statement>();

	/** Prepared once per SQL text: preparing is a large share of a small query's cost. */
	private stmt(sql: string): Database.Statement {
		let statement = this.statements.get(sql);
		if (!statement) {
			statement = this.db.prepare(sql);
			this.statements.set(sql, statement);
		}
		return statement;
	}

	private constructor(db: Database.Database) {
		this.db = db;
		db.pragma('journal_mode = WAL');
		db.pragma('foreign_keys = ON');
		db.pragma('busy_timeout = 5000');
		db.pragma('synchronous = NORMAL');
		this.migrate();
	}

	private migrate(): void {
		this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
		const applied = new Set(this.stmt('SELECT version FROM schema_migrations').pluck().all() as number[]);
		MIGRATIONS.forEach((sql, index) => {
			const version = index + 1;
			if (!applied.has(version)) {
				this.db.transaction(() => {
					this.db.exec(sql);
					this.stmt('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
				})();
			}
		});
	}

	schemaVersion(): number {
		return this.stmt('SELECT MAX(version) FROM schema_migrations').pluck().get() as number;
	}

	async ping(): Promise<void> {
		this.stmt('SELECT 1').get();
	}

	async close(): Promise<void> {
		if (this.db.open) {
			this.db.close();
		}
	}

	async getOrganization(id: string): Promise<OrganizationRecord | undefined> {
		const row = this.stmt('SELECT id, name, created_at FROM organizations WHERE id = ?').get(id) as Row | undefined;
		return row && { id: row.id as string, name: row.name as string, createdAt: row.created_at as string };
	}

	async listOrganizations(): Promise<OrganizationRecord[]> {
		return (this.stmt('SELECT id, name, created_at FROM organizations ORDER BY created_at').all() as Row[]).map((row) => ({
			id: row.id as string,
			name: row.name as string,
			createdAt: row.created_at as string,
		}));
	}

	async createOrganization(org: OrganizationRecord, key: SigningKeyRecord, firstRevision: (revision: number) => RevisionRecord): Promise<void> {
		this.db.transaction(() => {
			this.stmt('INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, org.createdAt);
			this.stmt('INSERT INTO signing_keys (org_id, private_key_pem, created_at) VALUES (?, ?, ?)').run(key.orgId, key.privateKeyPem, key.createdAt);
			this.insertRevision(firstRevision(1));
		})();
	}

	async getSigningKey(orgId: string): Promise<SigningKeyRecord | undefined> {
		const row = this.stmt('SELECT org_id, private_key_pem, created_at FROM signing_keys WHERE org_id = ?').get(orgId) as Row | undefined;
		return row && { orgId: row.org_id as string, privateKeyPem: row.private_key_pem as string, createdAt: row.created_at as string };
	}

	private insertRevision(record: RevisionRecord): void {
		this
			.stmt('INSERT INTO policy_revisions (org_id, revision, signed_json, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
			.run(record.orgId, record.revision, record.signedJson, record.createdAt, record.createdBy);
	}

	private latest(orgId: string): RevisionRecord | undefined {
		const row = this.stmt('SELECT * FROM policy_revisions WHERE org_id = ? ORDER BY revision DESC LIMIT 1').get(orgId) as Row | undefined;
		return row && toRevision(row);
	}

	async latestRevision(orgId: string): Promise<RevisionRecord | undefined> {
		return this.latest(orgId);
	}

	async listRevisions(orgId: string, limit: number): Promise<RevisionRecord[]> {
		return (this.stmt('SELECT * FROM policy_revisions WHERE org_id = ? ORDER BY revision DESC LIMIT ?').all(orgId, limit) as Row[]).map(toRevision);
	}

	async appendRevision(orgId: string, expected: number | 'any', build: (revision: number) => RevisionRecord): Promise<AppendResult> {
		// IMMEDIATE takes the write lock before reading, so two writers cannot both see the same latest.
		return this.db
			.transaction((): AppendResult => {
				const current = this.latest(orgId);
				const latest = current?.revision ?? 0;
				if (expected !== 'any' && expected !== latest) {
					return { ok: false, current };
				}
				const record = build(latest + 1);
				this.insertRevision(record);
				return { ok: true, record };
			})
			.immediate();
	}

	async createUser(user: UserRecord): Promise<void> {
		this.insertUser(user);
	}

	private insertUser(user: UserRecord): void {
		this
			.stmt('INSERT INTO users (id, org_id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
			.run(user.id, user.orgId, user.email, user.role, user.passwordHash, user.createdAt);
	}

	async getUser(id: string): Promise<UserRecord | undefined> {
		const row = this.stmt('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
		return row && toUser(row);
	}

	async findUserByEmail(orgId: string, email: string): Promise<UserRecord | undefined> {
		const row = this.stmt('SELECT * FROM users WHERE org_id = ? AND email = ?').get(orgId, email.toLowerCase()) as Row | undefined;
		return row && toUser(row);
	}

	async findUsersByEmail(email: string): Promise<UserRecord[]> {
		return (this.stmt('SELECT * FROM users WHERE email = ? ORDER BY created_at').all(email.toLowerCase()) as Row[]).map(toUser);
	}

	async listUsers(orgId: string): Promise<UserRecord[]> {
		return (this.stmt('SELECT * FROM users WHERE org_id = ? ORDER BY email').all(orgId) as Row[]).map(toUser);
	}

	async removeUser(id: string, at: number): Promise<boolean> {
		return this.db.transaction(() => {
			this.stmt('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(at, id);
			return this.stmt('DELETE FROM users WHERE id = ?').run(id).changes > 0;
		})();
	}

	async recordSeen(userId: string, at: string): Promise<void> {
		this.stmt('UPDATE users SET last_seen_at = ? WHERE id = ?').run(at, userId);
	}

	async recordApplied(userId: string, revision: number, at: string): Promise<void> {
		this.stmt('UPDATE users SET applied_revision = ?, applied_at = ?, last_seen_at = ? WHERE id = ?').run(revision, at, at, userId);
	}

	async createInvitation(invitation: InvitationRecord): Promise<void> {
		this
			.stmt('INSERT INTO invitations (token_hash, org_id, email, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
			.run(invitation.tokenHash, invitation.orgId, invitation.email, invitation.role, invitation.createdBy, invitation.createdAt, invitation.expiresAt);
	}

	async getInvitation(tokenHash: string): Promise<InvitationRecord | undefined> {
		const row = this.stmt('SELECT * FROM invitations WHERE token_hash = ?').get(tokenHash) as Row | undefined;
		return row && toInvitation(row);
	}

	async acceptInvitation(tokenHash: string, user: UserRecord, at: string): Promise<boolean> {
		return this.db.transaction(() => {
			const changed = this.stmt('UPDATE invitations SET accepted_at = ? WHERE token_hash = ? AND accepted_at IS NULL').run(at, tokenHash).changes;
			if (changed === 0) {
				return false;
			}
			this.insertUser(user);
			return true;
		})();
	}

	async listInvitations(orgId: string): Promise<InvitationRecord[]> {
		return (this.stmt('SELECT * FROM invitations WHERE org_id = ? AND accepted_at IS NULL ORDER BY created_at').all(orgId) as Row[]).map(toInvitation);
	}

	async createDeviceCode(code: DeviceCodeRecord): Promise<void> {
		this
			.stmt('INSERT INTO device_codes (device_code_hash, user_code, client_id, expires_at, interval_seconds, status) VALUES (?, ?, ?, ?, ?, ?)')
			.run(code.deviceCodeHash, code.userCode, code.clientId, code.expiresAt, code.intervalSeconds, code.status);
	}

	async getDeviceCode(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined> {
		const row = this.stmt('SELECT * FROM device_codes WHERE device_code_hash = ?').get(deviceCodeHash) as Row | undefined;
		return row && toDevice(row);
	}

	async findDeviceCodeByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
		const row = this.stmt('SELECT * FROM device_codes WHERE user_code = ?').get(userCode) as Row | undefined;
		return row && toDevice(row);
	}

	async updateDeviceCode(
		deviceCodeHash: string,
		change: Partial<Pick<DeviceCodeRecord, 'status' | 'userId' | 'lastPolledAt' | 'intervalSeconds'>>,
	): Promise<void> {
		const columns: Record<string, string> = { status: 'status', userId: 'user_id', lastPolledAt: 'last_polled_at', intervalSeconds: 'interval_seconds' };
		const entries = Object.entries(change).filter(([, value]) => value !== undefined);
		if (entries.length === 0) {
			return;
		}
		const assignments = entries.map(([key]) => `${columns[key]} = ?`).join(', ');
		this.stmt(`UPDATE device_codes SET ${assignments} WHERE device_code_hash = ?`).run(...entries.map(([, value]) => value), deviceCodeHash);
	}

	async consumeDeviceCode(deviceCodeHash: string): Promise<boolean> {
		return this.stmt("UPDATE device_codes SET status = 'used' WHERE device_code_hash = ? AND status = 'approved'").run(deviceCodeHash).changes === 1;
	}

	async insertTokens(tokens: TokenRecord[]): Promise<void> {
		const insert = this.stmt(
			'INSERT INTO tokens (token_hash, kind, user_id, org_id, family_id, expires_at, created_at, csrf_token, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
		);
		this.db.transaction(() => {
			for (const token of tokens) {
				insert.run(token.tokenHash, token.kind, token.userId, token.orgId, token.familyId, token.expiresAt, token.createdAt, token.csrfToken, token.label);
			}
		})();
	}

	async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
		const row = this.stmt('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as Row | undefined;
		return row && toToken(row);
	}

	async getTokenWithUser(tokenHash: string): Promise<{ token: TokenRecord; user: UserRecord } | undefined> {
		return toTokenWithUser(this.stmt(`${TOKEN_WITH_USER_SELECT} WHERE t.token_hash = ?`).get(tokenHash) as Row | undefined);
	}

	async markTokenUsed(tokenHash: string, at: number): Promise<boolean> {
		return this.stmt('UPDATE tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(at, tokenHash).changes === 1;
	}

	async revokeToken(tokenHash: string, at: number): Promise<void> {
		this.stmt('UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash);
	}

	async revokeFamily(familyId: string, at: number): Promise<void> {
		this.stmt('UPDATE tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL').run(at, familyId);
	}

}
