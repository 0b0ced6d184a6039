import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SESSION_SECRET_KEY, SessionManager } from '../../src/extension/auth/session-manager';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { restoreAtStartUp } from '../../src/extension/sync/start-up-policy';
import { syncSessionFor } from '../../src/extension/sync/sync-session';
import { verifySignedPolicy } from '../../src/policy';
import { MIGRATIONS } from '../../src/server/store/migrations';
import { whenChanged } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { memberWhoApplied } from '../support/memory-storage';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { loadPrecompiledValidators } from '../support/precompiled-validators';
import { scim } from '../support/scim-client';
import { bearer, form, jsonOf, ManualClock, startService, type RunningService } from '../support/service';

/**
 * What an organization that ran 0.2.0 (the second wave) made, as 0.2.0 itself wrote it:
 * test/fixtures/release-0.2.0 (its README says how it was made, by 0.2.0's own code).
 */
interface Made {
	madeAt: string;
	admin: { email: string; password: string };
	member: {
		email: string;
		userId: string;
		accessToken: string;
		refreshToken: string;
		clientId: string;
		policySigningKey: { alg: 'Ed25519'; keyId: string; publicKey: string };
	};
	/** What 0.2.0 served its member for each schema version it asked for. */
	served: Record<'1' | '2', { etag: string; body: string }>;
	revision: number;
	invitationLink: string;
	adminApiToken: string;
	scim: { token: string; bob: { id: string; externalId: string } };
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'release-0.2.0');

interface Opened {
	made: Made;
	options: { dataDir?: string; databaseUrl?: string };
	/** The migrations the database records as applied, read beside the running service. */
	migrations: () => Promise<string[]>;
	drop: () => Promise<void>;
}

async function postgresQuery<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		return await run(client);
	} finally {
		await client.end();
	}
}

const MIGRATIONS_APPLIED = 'SELECT name FROM kysely_migration ORDER BY name';

/** The organization's database, as 0.2.0 left it, opened by this release. */
const stores: { name: string; open: () => Promise<Opened> }[] = [
	{
		name: 'SQLite',
		async open() {
			const dataDir = mkdtempSync(join(tmpdir(), 'opp-upgrade-'));
			chmodSync(dataDir, 0o700);
			copyFileSync(join(FIXTURE, 'sqlite', 'policy.sqlite'), join(dataDir, 'policy.sqlite'));
			const made = JSON.parse(readFileSync(join(FIXTURE, 'sqlite', 'expected.json'), 'utf8')) as Made;
			const migrations = async () => {
				const raw = new Database(join(dataDir, 'policy.sqlite'), { readonly: true });
				try {
					return raw.prepare(MIGRATIONS_APPLIED).pluck().all() as string[];
				} finally {
					raw.close();
				}
			};
			return { made, options: { dataDir }, migrations, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
		},
	},
	...(TEST_DATABASE_URL
		? [
				{
					name: 'PostgreSQL',
					async open() {
						const database = await freshDatabase();
						const dump = readFileSync(join(FIXTURE, 'postgres', 'schema-and-data.sql'), 'utf8');
						await postgresQuery(database.url, (client) => client.query(dump));
						const made = JSON.parse(readFileSync(join(FIXTURE, 'postgres', 'expected.json'), 'utf8')) as Made;
						const migrations = () =>
							postgresQuery(database.url, async (client) =>
								(await client.query<{ name: string }>(MIGRATIONS_APPLIED)).rows.map((row) => row.name),
							);
						return { made, options: { databaseUrl: database.url }, migrations, drop: database.drop };
					},
				},
			]
		: []),
];

/**
 * An organization upgrades from 0.2.0: its database migrates on the first start, and everything in
 * it keeps working without anyone doing anything — members' sign-ins and the policy they hold
 * (byte for byte, so nothing is downloaded again or re-verified as new), the admins' passwords and
 * automation tokens, the directory's provisioning, a pending invitation, the revision history.
 */
describe('upgrading from 0.2.0 (the second wave)', function () {
	this.timeout(60_000);

	for (const store of stores) {
		describe(`on ${store.name}`, () => {
			let service: RunningService;
			let made: Made;
			let opened: Opened;
			let clock: ManualClock;
			before(async () => {
				opened = await store.open();
				({ made } = opened);
				// A minute after 0.2.0 stopped: the member's access token is still within its hour.
				clock = new ManualClock(Date.parse(made.madeAt) + 60_000);
				service = await startService({ ...opened.options, clock });
			});
			after(async () => {
				await service?.close();
				await opened?.drop();
			});

			const read = (schema: string, extra: Record<string, string> = {}) =>
				fetch(`${service.url}/api/v1/policy`, { headers: bearer(made.member.accessToken, { 'org-policy-schema': schema, ...extra }) });

			it("applies this release's migrations over 0.2.0's, each once", async () => {
				assert.deepEqual(await opened.migrations(), Object.keys(MIGRATIONS).sort());
			});

			it('serves members of 0.2.0 the very policy they hold: same bytes, same ETag, 304 when they ask again', async () => {
				for (const schema of ['1', '2'] as const) {
					const fresh = await read(schema);
					assert.equal(fresh.status, 200);
					assert.equal(fresh.headers.get('etag'), made.served[schema].etag);
					assert.equal(await fresh.text(), made.served[schema].body);
					const again = await read(schema, { 'if-none-match': made.served[schema].etag });
					assert.equal(again.status, 304, `schema ${schema}: unchanged, nothing to download`);
				}
				// This release's extension asks for schema 3 and verifies with the key the member pinned in 0.2.0.
				const newest = await read('3');
				assert.equal(newest.status, 200);
				const verified = verifySignedPolicy(await jsonOf(newest), { signingKey: made.member.policySigningKey, organizationId: 'acme' });
				assert.equal(verified.policy.revision, made.revision);
				assert.equal(verified.policy.provider?.headers?.['Ocp-Apim-Subscription-Key'], 'apim-key-from-0.2.0');
			});

			it("starts a member whose extension updated too from 0.2.0's cache, locked, and syncs on without a new sign-in", async () => {
				// What 0.2.0's extension left in VS Code's storage: the pin, the policy it applied (schema 2), the session.
				const { memento, secrets } = await memberWhoApplied(made.revision, JSON.parse(made.served['2'].body), made.member.policySigningKey);
				await secrets.store(
					SESSION_SECRET_KEY,
					JSON.stringify({
						serverUrl: service.url,
						accessToken: made.member.accessToken,
						refreshToken: made.member.refreshToken,
						expiresAt: clock.now() + 30 * 60_000,
						organization: { id: 'acme', name: 'Acme Corp' },
						account: { id: made.member.userId, email: made.member.email, role: 'member' },
						signingKey: made.member.policySigningKey,
					}),
				);
				const scheduler = new ManualScheduler(clock, false);
				const connection = () => ({ serverUrl: service.url, fetch: globalThis.fetch });
				const sessions = new SessionManager(secrets, connection, scheduler);
				const sync = new PolicySync({ state: memento, secrets }, scheduler, { ackSpreadMs: 0 });
				const states: SyncState[] = [];
				const rejected: string[] = [];
				sync.onDidChangeState((state) => states.push(state));
				sync.onDidRejectPolicy((error) => rejected.push(error.message));
				try {
					await sync.adoptStartUp(await restoreAtStartUp(secrets, memento, loadPrecompiledValidators()));
					assert.deepEqual([sync.current.policy?.document.revision, sync.current.policy?.source], [made.revision, 'cached']);
					assert.equal((await sessions.reload())?.account.email, made.member.email, "0.2.0's sign-in is read as it was stored");
					sync.start(syncSessionFor(sessions, connection())!);
					await whenChanged(
						() => sync.current,
						sync.onDidChangeState,
						(state: SyncState) => state.status === 'in-sync' && state.policy?.source !== 'cached',
						'in sync with the upgraded service',
					);
					assert.deepEqual(rejected, []);
					assert.deepEqual(
						[...new Set(states.map((state) => `${state.policy?.document.revision} ${state.policy?.document.enabled}`))],
						[`${made.revision} true`],
						'locked to the same revision throughout: never unlocked, nothing new to apply',
					);
				} finally {
					sync.dispose();
					sessions.dispose();
				}
			});

			it("keeps members signed in: 0.2.0's refresh token gives new tokens", async () => {
				const refreshed = await form(`${service.url}/oauth/token`, {
					grant_type: 'refresh_token',
					refresh_token: made.member.refreshToken,
					client_id: made.member.clientId,
				});
				assert.equal(refreshed.status, 200, await refreshed.clone().text());
				const tokens = await jsonOf(refreshed);
				const withNew = await fetch(`${service.url}/api/v1/policy`, { headers: bearer(tokens.access_token) });
				assert.equal(withNew.status, 200);
			});

			it("keeps the admins' password and automation token, the members' sync state and the pending invitation", async () => {
				const members = await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(made.adminApiToken) });
				assert.equal(members.status, 200, 'the admin API token made in 0.2.0 still opens the admin API');
				const listed = (await jsonOf(members)).members as { email: string; appliedRevision: number | null; sync: string }[];
				const dev = listed.find((member) => member.email === made.member.email);
				assert.deepEqual([dev?.appliedRevision, dev?.sync], [made.revision, 'in sync']);
				assert.ok(listed.some((member) => member.email === 'bob@acme.example'));

				const invitation = await fetch(`${service.url}${new URL(made.invitationLink).pathname}`);
				assert.equal(invitation.status, 200);
				assert.match(await invitation.text(), /newcomer@acme\.example/);

				// The admin signs in with the password set in 0.2.0 and saves: the secret header value is kept.
				const admin = await service.signIn(made.admin.email, made.admin.password);
				const current = await jsonOf(await fetch(`${service.url}/api/v1/admin/policy`, { headers: bearer(admin.access_token) }));
				const { revision: _revision, schemaVersion: _schema, updatedAt: _at, updatedBy: _by, organization, ...settings } = current.policy;
				const saved = await fetch(`${service.url}/api/v1/admin/policy?keepHeaderValues=Ocp-Apim-Subscription-Key`, {
					method: 'PUT',
					headers: bearer(admin.access_token, { 'content-type': 'application/json', 'if-match': `"${made.revision}"` }),
					body: JSON.stringify({
						...settings,
						adminContact: 'platform@acme.example',
						provider: { ...settings.provider, headers: { ...settings.provider.headers, 'Ocp-Apim-Subscription-Key': '' } },
					}),
				});
				assert.equal(saved.status, 200, await saved.clone().text());
				assert.equal(organization.id, 'acme');
				const after = verifySignedPolicy(await jsonOf(await read('3')), {
					signingKey: made.member.policySigningKey,
					organizationId: 'acme',
				});
				assert.equal(after.policy.revision, made.revision + 1);
				assert.equal(after.policy.organization.adminContact, 'platform@acme.example');
				assert.equal(after.policy.provider?.headers?.['Ocp-Apim-Subscription-Key'], 'apim-key-from-0.2.0');

				const history = await jsonOf(await fetch(`${service.url}/api/v1/admin/policy/revisions`, { headers: bearer(admin.access_token) }));
				assert.deepEqual(
					history.revisions.map((revision: { revision: number }) => revision.revision),
					[4, 3, 2, 1],
				);
			});

			it("keeps the directory's provisioning: 0.2.0's SCIM token finds its people, and groups (new in this release) take them", async () => {
				const directory = scim(service, made.scim.token);
				const found = await jsonOf(await directory.call('GET', `/Users?filter=${encodeURIComponent('userName eq "bob@acme.example"')}`));
				assert.deepEqual(
					found.Resources.map((user: { id: string; externalId: string }) => [user.id, user.externalId]),
					[[made.scim.bob.id, made.scim.bob.externalId]],
				);
				const group = await directory.call('POST', '/Groups', {
					schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
					displayName: 'Engineering',
					members: [{ value: made.scim.bob.id }],
				});
				assert.equal(group.status, 201, await group.clone().text());
				assert.deepEqual(
					(await jsonOf(group)).members.map((member: { value: string }) => member.value),
					[made.scim.bob.id],
				);
			});
		});
	}
});
