import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { THIRD_WAVE_MIGRATIONS } from './migrations-third-wave';

/**
 * The schema, once, for both databases: Kysely's schema builder writes each dialect's DDL.
 * A migration is never edited once released, only appended (names sort in order of application).
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
	'0001_initial': {
		async up(db: Kysely<unknown>): Promise<void> {
			const roles = sql`CHECK (role IN ('admin', 'member'))`;
			await db.schema
				.createTable('organizations')
				.addColumn('id', 'text', (c) => c.primaryKey())
				.addColumn('name', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema
				.createTable('signing_keys')
				.addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id'))
				.addColumn('private_key_pem', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema
				.createTable('policy_revisions')
				.addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
				.addColumn('revision', 'integer', (c) => c.notNull())
				.addColumn('signed_json', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('created_by', 'text', (c) => c.notNull())
				.addPrimaryKeyConstraint('policy_revisions_pk', ['org_id', 'revision'])
				.execute();
			await db.schema
				.createTable('users')
				.addColumn('id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
				.addColumn('email', 'text', (c) => c.notNull())
				.addColumn('role', 'text', (c) => c.notNull().modifyEnd(roles))
				.addColumn('password_hash', 'text')
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('last_seen_at', 'bigint')
				.addColumn('applied_revision', 'integer')
				.addColumn('applied_at', 'bigint')
				.addUniqueConstraint('users_org_email', ['org_id', 'email'])
				.execute();
			await db.schema
				.createTable('invitations')
				.addColumn('token_hash', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
				.addColumn('email', 'text', (c) => c.notNull())
				.addColumn('role', 'text', (c) => c.notNull().modifyEnd(roles))
				.addColumn('created_by', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('expires_at', 'bigint', (c) => c.notNull())
				.addColumn('accepted_at', 'bigint')
				.execute();
			await db.schema
				.createTable('device_codes')
				.addColumn('device_code_hash', 'text', (c) => c.primaryKey())
				.addColumn('user_code', 'text', (c) => c.notNull().unique())
				.addColumn('client_id', 'text', (c) => c.notNull())
				.addColumn('expires_at', 'bigint', (c) => c.notNull())
				.addColumn('interval_seconds', 'integer', (c) => c.notNull())
				.addColumn('last_polled_at', 'bigint')
				.addColumn('status', 'text', (c) => c.notNull().modifyEnd(sql`CHECK (status IN ('pending', 'approved', 'denied', 'used'))`))
				.addColumn('user_id', 'text')
				.execute();
			await db.schema
				.createTable('tokens')
				.addColumn('token_hash', 'text', (c) => c.primaryKey())
				.addColumn('kind', 'text', (c) => c.notNull().modifyEnd(sql`CHECK (kind IN ('access', 'refresh', 'admin_api', 'console_session'))`))
				.addColumn('user_id', 'text', (c) => c.notNull())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('family_id', 'text')
				.addColumn('expires_at', 'bigint')
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('used_at', 'bigint')
				.addColumn('revoked_at', 'bigint')
				.addColumn('csrf_token', 'text')
				.addColumn('label', 'text')
				.execute();
			await db.schema.createIndex('tokens_by_user').on('tokens').columns(['user_id', 'kind']).execute();
			await db.schema.createIndex('tokens_by_family').on('tokens').column('family_id').execute();
		},
	},
	'0002_schema_v1_projection': {
		// Schema version 2 of the policy: each revision is also kept signed in version 1 for the
		// members that understand only that one. Null for revisions written in version 1.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('policy_revisions').addColumn('signed_json_v1', 'text').execute();
		},
	},
	'0003_token_client': {
		// A refresh token is good only for the client it was issued to (RFC 6749 §6).
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('tokens').addColumn('client_id', 'text').execute();
		},
	},
	'0004_key_custody': {
		// The signing key may live outside the database (a key file or a KMS): the public half is
		// kept here, the private half only when the database holds it (empty otherwise). Rotations
		// are endorsements, each signed by the key before, so members pinned to an old key follow.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('signing_keys').addColumn('public_key', 'text').execute();
			await db.schema
				.createTable('key_endorsements')
				.addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
				.addColumn('key_id', 'text', (c) => c.notNull())
				.addColumn('public_key', 'text', (c) => c.notNull())
				.addColumn('endorsed_by', 'text', (c) => c.notNull())
				.addColumn('signature', 'text', (c) => c.notNull())
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addPrimaryKeyConstraint('key_endorsements_pk', ['org_id', 'key_id'])
				.execute();
		},
	},
	'0005_single_sign_on': {
		// Single sign-on (OpenID Connect), SCIM provisioning and the activity log. A SCIM
		// deactivation keeps the person (and their history) but closes every way in.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('users').addColumn('deactivated_at', 'bigint').execute();
			await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
			// Admins the operator made (bootstrap, `admin reset-link`): they keep a password when SSO is required.
			await db.schema
				.alterTable('users')
				.addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0))
				.execute();
			await db.schema
				.createTable('sso_settings')
				.addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id'))
				.addColumn('settings_json', 'text', (c) => c.notNull())
				.addColumn('client_secret', 'text', (c) => c.notNull())
				.addColumn('tested_fingerprint', 'text')
				.addColumn('scim_token_hash', 'text', (c) => c.unique())
				.addColumn('updated_at', 'bigint', (c) => c.notNull())
				.addColumn('updated_by', 'text', (c) => c.notNull())
				.execute();
			await db.schema
				.createTable('sso_logins')
				.addColumn('state_hash', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('purpose', 'text', (c) => c.notNull())
				.addColumn('nonce', 'text', (c) => c.notNull())
				.addColumn('code_verifier', 'text', (c) => c.notNull())
				.addColumn('return_to', 'text')
				.addColumn('created_at', 'bigint', (c) => c.notNull())
				.addColumn('expires_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema
				.createTable('audit_events')
				.addColumn('id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('at', 'bigint', (c) => c.notNull())
				.addColumn('actor', 'text', (c) => c.notNull())
				.addColumn('action', 'text', (c) => c.notNull())
				.addColumn('outcome', 'text', (c) => c.notNull())
				.addColumn('detail', 'text', (c) => c.notNull())
				.execute();
			await db.schema.createIndex('audit_events_by_org').on('audit_events').columns(['org_id', 'at']).execute();
		},
	},
	'0006_scim_attributes_and_sign_in_binding': {
		// The User attributes a directory sends beyond what the account keeps (names, phone numbers,
		// the enterprise extension), kept as sent so SCIM reads return what was written; and the
		// browser binding of a single sign-on in progress.
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('sso_logins').addColumn('binding_hash', 'text').execute();
			await db.schema
				.createTable('scim_attributes')
				.addColumn('user_id', 'text', (c) => c.primaryKey())
				.addColumn('org_id', 'text', (c) => c.notNull())
				.addColumn('attributes_json', 'text', (c) => c.notNull())
				.addColumn('updated_at', 'bigint', (c) => c.notNull())
				.execute();
			await db.schema.createIndex('scim_attributes_by_org').on('scim_attributes').column('org_id').execute();
		},
	},
	'0007_schema_v2_projection': {
		// Schema version 3 of the policy (the Responses API per model): each revision is also kept
		// signed in version 2 for the members that understand only that one. Null for revisions
		// written before version 3, or with no version-2 form (every model needs the Responses API).
		async up(db: Kysely<unknown>): Promise<void> {
			await db.schema.alterTable('policy_revisions').addColumn('signed_json_v2', 'text').execute();
		},
	},
	...THIRD_WAVE_MIGRATIONS,
};
