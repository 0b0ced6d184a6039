import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEMA_HEADER, verifySignedPolicy, type PolicySettingsInput } from '../../src/policy';
import { SessionManager } from '../../src/extension/auth/session-manager';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { syncSessionFor } from '../../src/extension/sync/sync-session';
import { whenChanged } from '../support/eventually';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { ManualScheduler } from '../support/manual-scheduler';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { scim, scimToken } from '../support/scim-client';
import {
	ADMIN,
	approveDevice,
	bearer,
	jsonOf,
	ManualClock,
	putPolicy,
	startService,
	type RunningService,
	createGroup,
} from '../support/service';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';
import { TestBrowser } from '../support/sso-browser';
import { EventReader } from '../support/event-reader';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The organization's models, a research overlay (a reasoning model, its own default) and a stricter contractors' one. */
const OVERLAID: PolicySettingsInput = {
	enabled: true,
	provider: {
		id: 'openai-compatible',
		baseUrl: 'https://llm.acme.example/v1',
		models: { allowed: ['gpt-4o', 'gpt-4o-mini'], default: 'gpt-4o' },
	},
	overlays: [
		{ group: 'Research', models: { allowed: ['o3', 'gpt-4o'], default: 'o3', settings: { o3: { reasoning: true } } } },
		{ group: 'Contractors', models: { allowed: ['gpt-4o-mini'] } },
	],
};

/**
 * Group overlays: each member receives one signed document — the organization's policy with the
 * overlays of their groups applied in the admin's order — and a change of groups reaches them live.
 */
describe('group overlays: one effective document per member', function () {
	this.timeout(30_000);
	let idp: TestIdentityProvider;
	let service: RunningService;
	let admin: string;
	let dataDir: string;
	let serviceClock: ManualClock;

	beforeEach(async () => {
		const port = await freePort();
		idp = await startIdentityProvider([`http://127.0.0.1:${port}/console/sso/callback`]);
		dataDir = mkdtempSync(join(tmpdir(), 'opp-overlays-'));
		serviceClock = new ManualClock(Date.now());
		service = await startService({ port, dataDir, clock: serviceClock });
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => {
		await service.close();
		await idp.close();
		rmSync(dataDir, { recursive: true, force: true });
	});

	const makeGroup = (displayName: string, members: string[]) => createGroup(service.url, admin, displayName, members);
	const read = async (token: string, headers: Record<string, string> = {}) => {
		const response = await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token, { [SCHEMA_HEADER]: '3', ...headers }) });
		return { response, text: response.status === 200 ? await response.text() : '' };
	};

	it('refuses overlays that name a group twice, models outside their own list, or no provider — naming the field', async () => {
		const saved = await putPolicy(service.url, admin, {
			...OVERLAID,
			overlays: [
				{ group: 'Research', models: { allowed: ['o3'], default: 'gpt-4o' } },
				{ group: 'research', models: { allowed: ['o3'] } },
			],
		});
		assert.equal(saved.status, 400);
		assert.deepEqual(
			(await jsonOf(saved)).fieldErrors.map((error: { path: string }) => error.path),
			['overlays[0].models.default', 'overlays[1].group'],
		);
		const alone = await putPolicy(service.url, admin, { enabled: false, overlays: OVERLAID.overlays });
		assert.deepEqual((await jsonOf(alone)).fieldErrors, [{ path: 'overlays', message: 'change the provider: set the provider first' }]);
	});

	it('applies a member’s overlays in the admin’s order, signed, naming them, and never shows another group’s overlay', async () => {
		for (const email of ['both@acme.example', 'research@acme.example', 'none@acme.example']) {
			await service.addUser(email, 'member');
		}
		await makeGroup('Research', ['both@acme.example', 'research@acme.example']);
		await makeGroup('Contractors', ['both@acme.example']);
		assert.equal((await putPolicy(service.url, admin, OVERLAID, '*')).status, 200);

		const served = async (email: string) => {
			const member = await service.signIn(email);
			const { response, text } = await read(member.access_token);
			assert.equal(response.status, 200);
			const { policy } = verifySignedPolicy(JSON.parse(text), { signingKey: member.policy_signing_key, organizationId: 'acme' });
			return { policy, text, etag: response.headers.get('etag')!, token: member.access_token };
		};
		const both = await served('both@acme.example');
		assert.deepEqual(both.policy.appliedOverlays, ['Research', 'Contractors']);
		assert.deepEqual(both.policy.provider?.models, { allowed: ['gpt-4o-mini'] }, 'the later overlay wins');
		const research = await served('research@acme.example');
		assert.deepEqual(research.policy.appliedOverlays, ['Research']);
		assert.deepEqual(research.policy.provider?.models?.allowed, ['o3', 'gpt-4o']);
		assert.equal(research.policy.provider?.models?.default, 'o3');
		const none = await served('none@acme.example');
		assert.equal(none.policy.appliedOverlays, undefined);
		assert.deepEqual(none.policy.provider?.models?.allowed, ['gpt-4o', 'gpt-4o-mini']);
		for (const each of [both, research, none]) {
			assert.ok(!each.text.includes('"overlays"'), 'no member receives the overlays’ definitions');
		}
		assert.equal(none.etag, `"2.v3"`);
		assert.match(research.etag, /^"2\.v3\.o[0-9a-z]+"$/);
		assert.notEqual(research.etag, both.etag);
		assert.equal((await read(research.token, { 'if-none-match': research.etag })).response.status, 304);
		assert.equal((await read(research.token, { 'if-none-match': none.etag })).response.status, 200);

		// A member of schema version 2 gets the overlays applied, projected to its version.
		const older = await read(research.token, { [SCHEMA_HEADER]: '2' });
		const projected = JSON.parse(older.text).policy;
		assert.deepEqual(
			[projected.schemaVersion, projected.provider.models.allowed, projected.appliedOverlays],
			[2, ['o3', 'gpt-4o'], undefined],
		);

		// Three distinct documents signed (two overlay sets and no overlay), not one per member or read.
		const metrics = await (await fetch(`${service.url}/metrics`)).text();
		assert.match(metrics, /org_policy_effective_documents_signed_total 3\b/);
	});

	it('previews a member’s or a group’s effective policy, with the overlays applied and the difference from the organization’s', async () => {
		await service.addUser('both@acme.example', 'member');
		await makeGroup('Research', ['both@acme.example']);
		await makeGroup('Contractors', ['both@acme.example']);
		assert.equal((await putPolicy(service.url, admin, OVERLAID, '*')).status, 200);
		const preview = async (query: string) =>
			jsonOf(await fetch(`${service.url}/api/v1/admin/policy/effective?${query}`, { headers: bearer(admin) }));
		const member = await preview('member=both@acme.example');
		assert.deepEqual(member.appliedOverlays, ['Research', 'Contractors']);
		assert.deepEqual(member.groups, ['Contractors', 'Research']);
		assert.deepEqual(member.provider.models, { allowed: ['gpt-4o-mini'] });
		assert.deepEqual(member.changes, [
			{ path: 'provider.models.allowed', before: '["gpt-4o","gpt-4o-mini"]', after: '["gpt-4o-mini"]' },
			{ path: 'provider.models.default', before: '"gpt-4o"' },
		]);
		const group = await preview('group=research');
		assert.deepEqual([group.appliedOverlays, group.provider.models.default], [['Research'], 'o3']);
		const unknown = await fetch(`${service.url}/api/v1/admin/policy/effective?member=nobody@acme.example`, { headers: bearer(admin) });
		assert.deepEqual(
			[unknown.status, (await jsonOf(unknown)).message],
			[404, 'member: nobody@acme.example is not a member of this organization'],
		);
	});

	it('moves a member between groups through SCIM and their PolicySync receives the new effective policy live', async () => {
		const browser = await adminConsole(service);
		assert.equal(
			(await saveSsoSettings(browser, service, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }))).status,
			200,
		);
		const directory = scim(service, await scimToken(browser, service));
		const member = await service.addUser('dev@acme.example', 'member');
		const group = await jsonOf(
			await directory.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Research' }),
		);
		assert.equal((await putPolicy(service.url, admin, OVERLAID, '*')).status, 200);

		// The member's scheduler moves the service's clock: the device flow's polling is then never too fast for it.
		const scheduler = new ManualScheduler(serviceClock, true);
		const sessions = new SessionManager(new MemorySecretStore(), () => ({ serverUrl: service.url, fetch: globalThis.fetch }), scheduler);
		await sessions.signIn(
			{ showCode: (code) => void approveDevice(service.url, code.user_code, member.email, member.password) },
			new AbortController().signal,
		);
		scheduler.autoAdvance = false;
		const sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, scheduler, { ackSpreadMs: 0 });
		const stateWhere = (predicate: (state: SyncState) => boolean, what: string) =>
			whenChanged(() => sync.current, sync.onDidChangeState, predicate, what);
		const allowed = (state: SyncState) => state.policy?.document.provider?.models?.allowed;
		try {
			sync.start(syncSessionFor(sessions, { serverUrl: service.url, fetch: globalThis.fetch })!);
			await stateWhere((state) => state.status === 'in-sync' && state.policy?.document.revision === 2, 'revision 2');
			assert.deepEqual(allowed(sync.current), ['gpt-4o', 'gpt-4o-mini']);

			// Entra ID's shape: add the member to the group.
			const added = await directory.call('PATCH', `/Groups/${group.id}`, {
				schemas: [PATCH_OP],
				Operations: [{ op: 'Add', path: 'members', value: [{ value: member.id }] }],
			});
			assert.equal(added.status, 200, await added.clone().text());
			const moved = await stateWhere((state) => state.policy?.document.appliedOverlays?.[0] === 'Research', 'the Research overlay, live');
			assert.deepEqual(allowed(moved), ['o3', 'gpt-4o']);
			assert.equal(moved.policy?.document.revision, 2, 'the same revision, made for the member’s new groups');

			// Okta's shape: remove them by a filter on members.
			const removed = await directory.call('PATCH', `/Groups/${group.id}`, {
				schemas: [PATCH_OP],
				Operations: [{ op: 'remove', path: `members[value eq "${member.id}"]` }],
			});
			assert.equal(removed.status, 200, await removed.clone().text());
			const back = await stateWhere((state) => state.policy?.document.appliedOverlays === undefined, 'the organization’s policy again');
			assert.deepEqual(allowed(back), ['gpt-4o', 'gpt-4o-mini']);
		} finally {
			sync.dispose();
			sessions.dispose();
		}
	});

	it('regroups a member whose group claim changed at their next single sign-on: their open stream receives the new effective policy', async () => {
		const browser = await adminConsole(service);
		assert.equal(
			(await saveSsoSettings(browser, service, idp.settings({ allowedDomains: [], allowedGroups: [], adminGroups: [] }))).status,
			200,
		);
		await service.addUser('bob@acme.test', 'member');
		const first = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
		assert.equal(first.status, 200, first.text);
		assert.equal((await putPolicy(service.url, admin, OVERLAID, '*')).status, 200);
		const bob = (await service.store.findUserByEmail('acme', 'bob@acme.test'))!;
		const token = (await service.accounts.tokens.issue(bob, 'vscode')).access_token;
		const stream = new EventReader(
			await fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(token, { [SCHEMA_HEADER]: '3' }) }),
		);
		try {
			const opened = await stream.next();
			assert.equal(JSON.parse(opened?.data ?? '{}').policy?.appliedOverlays, undefined, 'engineering has no overlay');

			// The directory puts Bob in Research; the claim says so at his next sign-in.
			idp.setGroups('bob@acme.test', ['engineering', 'Research']);
			const again = await new TestBrowser().signInWithSso(service.url, 'bob@acme.test', { purpose: 'device' });
			assert.equal(again.status, 200, again.text);
			const regrouped = await stream.next();
			assert.ok(regrouped, 'a frame on the open stream');
			const { policy } = JSON.parse(regrouped.data ?? '{}');
			assert.deepEqual([regrouped.id, policy.revision, policy.appliedOverlays], ['2', 2, ['Research']]);
			assert.deepEqual(policy.provider.models.allowed, ['o3', 'gpt-4o']);
		} finally {
			await stream.cancel();
		}
	});
});
