import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../src/server/store/migrations';
import { openPostgresStore } from '../../src/server/store/postgres';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { RevisionRecord, Store } from '../../src/server/store/store';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { STORE_HARNESSES, type StoreHarness } from '../support/store-harness';
import { memberRecord } from '../support/records';

const org = { id: 'acme', name: 'Acme Corp', createdAt: Date.parse('2026-11-26T10:00:00.000Z') };
const key = { orgId: 'acme', privateKeyPem: 'pem', publicKey: 'A'.repeat(43), createdAt: org.createdAt };
const revision = (n: number, by = 'admin@acme.example'): RevisionRecord => ({
	orgId: 'acme',
	revision: n,
	signedJson: `{"r":${n}}`,
	signedJsonV1: null,
	signedJsonV2: null,
	createdAt: org.createdAt,
	createdBy: by,
});
const user = (id: string) => memberRecord(id, { createdAt: org.createdAt });
const token = {
	userId: 'u1',
	orgId: 'acme',
	familyId: 'f',
	clientId: 'vscode',
	expiresAt: 1_800_000_000_000,
	createdAt: 1_790_000_000_000,
	usedAt: null,
	revokedAt: null,
	csrfToken: null,
	label: null,
};

/** The same contract, whichever store is behind it. */
function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
	describe(`${name} store contract`, function () {
		this.timeout(20_000);
		let harness: StoreHarness;
		let store: Store;

		beforeEach(async function () {
			harness = await makeHarness();
			store = await harness.open();
			await store.createOrganization(org, key, revision(1));
		});
		afterEach(async () => {
			await store.close();
			await harness.cleanup();
		});

		it('applies migrations once and keeps data across reopening', async () => {
			await store.close();
			store = await harness.open();
			assert.equal((await store.latestRevision('acme'))?.revision, 1);
			assert.equal((await store.getOrganization('acme'))?.name, 'Acme Corp');
		});

		it('appends revisions monotonically and refuses a stale expectation without writing', async () => {
			assert.equal((await store.appendRevision('acme', 1, (n) => revision(n))).ok, true);
			const stale = await store.appendRevision('acme', 1, (n) => revision(n, 'late@acme.example'));
			assert.equal(stale.ok, false);
			assert.equal(stale.ok ? undefined : stale.current?.revision, 2);
			assert.equal((await store.appendRevision('acme', 'any', (n) => revision(n))).ok, true);
			assert.deepEqual(
				(await store.listRevisions('acme', 10)).map((r) => r.revision),
				[3, 2, 1],
			);
		});

		it('numbers the next revision past the highest one a member said they hold (a database restored from a backup)', async () => {
			assert.equal((await store.getOrganization('acme'))?.heldAhead, undefined);
			await store.noteRevisionHeld('acme', 'u1', 5, org.createdAt + 1);
			await store.noteRevisionHeld('acme', 'u2', 4, org.createdAt + 2);
			assert.deepEqual(
				(await store.getOrganization('acme'))?.heldAhead,
				{ revision: 5, userId: 'u1', at: org.createdAt + 1 },
				'the highest is kept',
			);
			const next = await store.appendRevision('acme', 1, (n) => revision(n));
			assert.equal(next.ok ? next.record.revision : undefined, 6);
			assert.equal((await store.appendRevision('acme', 6, (n) => revision(n))).ok, true, 'then on as usual');
			assert.deepEqual(
				(await store.listRevisions('acme', 10)).map((r) => r.revision),
				[7, 6, 1],
			);
			await store.noteRevisionHeld('acme', 'u3', 9, org.createdAt + 3);
			assert.deepEqual((await store.getOrganization('acme'))?.heldAhead, { revision: 9, userId: 'u3', at: org.createdAt + 3 });
		});

		it('lets exactly one of two concurrent writers of the same revision win', async () => {
			const results = await Promise.all([
				store.appendRevision('acme', 1, (n) => revision(n, 'a')),
				store.appendRevision('acme', 1, (n) => revision(n, 'b')),
			]);
			assert.deepEqual(results.map((result) => result.ok).sort(), [false, true]);
			assert.deepEqual(
				(await store.listRevisions('acme', 10)).map((r) => r.revision),
				[2, 1],
			);
		});

		it('rolls a failed organization setup back whole', async () => {
			await assert.rejects(
				// The first revision cannot be written (no signed JSON): nothing of the organization may stay.
				store.createOrganization(
					{ ...org, id: 'globex' },
					{ ...key, orgId: 'globex' },
					{ ...revision(1), orgId: 'globex', signedJson: null as unknown as string },
				),
			);
			assert.equal(await store.getOrganization('globex'), undefined);
			assert.equal(await store.getSigningKey('globex'), undefined);
		});

		it('keeps key endorsements in order, once each, and can forget the private key', async () => {
			const endorsement = (keyId: string, endorsedBy: string, createdAt: number) => ({
				orgId: 'acme',
				keyId,
				publicKey: keyId.padEnd(43, 'x'),
				endorsedBy,
				signature: 's'.repeat(86),
				createdAt,
			});
			assert.equal(await store.addKeyEndorsement(endorsement('k2', 'k1', 2)), true);
			assert.equal(await store.addKeyEndorsement(endorsement('k3', 'k2', 3)), true);
			assert.equal(await store.addKeyEndorsement(endorsement('k2', 'k1', 4)), false, 'a key is endorsed once');
			assert.deepEqual(
				(await store.listKeyEndorsements('acme')).map((record) => [record.keyId, record.endorsedBy, record.createdAt]),
				[
					['k2', 'k1', 2],
					['k3', 'k2', 3],
				],
			);
			assert.equal((await store.getSigningKey('acme'))?.privateKeyPem, 'pem');
			await store.forgetPrivateKey('acme');
			assert.deepEqual(await store.getSigningKey('acme'), { ...key, privateKeyPem: null });
		});

		it('removes a user and revokes every token they hold in one step', async () => {
			await store.createUser(user('u1'));
			await store.insertTokens([
				{ ...token, tokenHash: 'a', kind: 'access' },
				{ ...token, tokenHash: 'r', kind: 'refresh' },
			]);
			assert.equal((await store.getTokenWithUser('a'))?.user.email, 'u1@acme.example');
			assert.equal(await store.removeUser('u1', 42), true);
			assert.equal((await store.getToken('a'))?.revokedAt, 42);
			assert.equal((await store.getToken('r'))?.revokedAt, 42);
			assert.equal(await store.getUser('u1'), undefined);
		});

		it('keeps one unused password reset link per person, uses it once with their new password and ends their sign-ins, withdraws it, and forgets it with them', async () => {
			await store.createUser(user('u1'));
			await store.insertTokens([
				{ ...token, tokenHash: 'a', kind: 'access' },
				{ ...token, tokenHash: 's', kind: 'console_session' },
				{ ...token, tokenHash: 'k', kind: 'admin_api', expiresAt: null },
			]);
			const link = (tokenHash: string, expiresAt = 2_000) =>
				({ tokenHash, orgId: 'acme', userId: 'u1', createdBy: 'admin@acme.example', createdAt: 1_000, expiresAt, usedAt: null }) as const;
			await store.passwordResets.issue(link('first'));
			await store.passwordResets.issue(link('second'));
			assert.equal(await store.passwordResets.get('first'), undefined, 'the newer link replaced it');
			assert.deepEqual(await store.passwordResets.get('second'), link('second'));
			assert.deepEqual([...(await store.passwordResets.pendingUntil('acme', 1_000))], [['u1', 2_000]]);
			assert.equal((await store.passwordResets.pendingUntil('acme', 2_000)).size, 0, 'expired');
			assert.equal((await store.passwordResets.pendingUntil('other', 1_000)).size, 0);

			assert.equal(await store.passwordResets.redeem('second', 'new-hash', 1_500, { breakGlass: true }), 'reset');
			assert.equal(await store.passwordResets.redeem('second', 'other-hash', 1_600, { breakGlass: false }), 'already-used');
			const after = await store.getUser('u1');
			assert.equal(after?.passwordHash, 'new-hash');
			assert.equal(after?.breakGlass, true);
			assert.equal((await store.passwordResets.get('second'))?.usedAt, 1_500);
			assert.equal((await store.passwordResets.pendingUntil('acme', 1_600)).size, 0, 'used');
			assert.equal((await store.getToken('a'))?.revokedAt, 1_500);
			assert.equal((await store.getToken('s'))?.revokedAt, 1_500);
			assert.equal((await store.getToken('k'))?.revokedAt, null, "automation's API token stays");

			await store.passwordResets.issue(link('withdrawn', 5_000));
			assert.equal(await store.passwordResets.withdraw('other', 'u1', 2_000), 0, 'only in its organization');
			assert.equal(await store.passwordResets.withdraw('acme', 'u1', 2_000), 1);
			assert.equal(await store.passwordResets.get('withdrawn'), undefined);
			assert.notEqual(await store.passwordResets.get('second'), undefined, 'a used link stays on record');
			assert.equal(await store.passwordResets.withdraw('acme', 'u1', 2_000), 0, 'nothing left to withdraw');

			await store.passwordResets.issue(link('third', 5_000));
			assert.equal(await store.passwordResets.withdraw('acme', 'u1', 5_000), 0, 'an expired link is not out');
			assert.equal(await store.purgeExpired(3_000), 1, 'the used link, expired since');
			assert.notEqual(await store.passwordResets.get('third'), undefined, 'not expired yet');
			await store.removeUser('u1', 4_000);
			assert.equal(await store.passwordResets.get('third'), undefined, 'gone with the person');
		});

		it("records each sign-in's report with the member's, lists the live ones seen lately, and forgets them with their tokens or their member", async () => {
			const now = token.createdAt + 1000;
			await store.createUser(user('u1'));
			const signIn = (familyId: string, kind: 'refresh' | 'access' = 'refresh', changes: Partial<typeof token> = {}) =>
				store.insertTokens([{ ...token, familyId, tokenHash: `${kind}-${familyId}`, kind, ...changes }]);
			await signIn('laptop');
			await signIn('desktop');
			await signIn('rotated');
			await store.markTokenUsed('refresh-rotated', now - 10);
			await signIn('expired', 'refresh', { expiresAt: now });
			await signIn('revoked');
			await store.revokeFamily('revoked', now - 10, 'signed_out');
			await signIn('put-away');
			const on = (familyId: string) => ({ orgId: 'acme', familyId });
			await store.recordApplied({ userId: 'u1', revision: 3, at: now - 300, policySchema: 2, signIn: on('desktop') });
			await store.recordApplied({
				userId: 'u1',
				revision: 4,
				at: now - 200,
				policySchema: 3,
				signIn: { ...on('laptop'), extensionVersion: '0.3.0', vscodeVersion: '1.117.0' },
			});
			await store.recordSeen({
				userId: 'u1',
				at: now - 100,
				policySchema: 3,
				signIn: { ...on('laptop'), extensionVersion: '0.3.0', vscodeVersion: '1.117.0' },
			});
			for (const familyId of ['rotated', 'expired', 'revoked']) {
				await store.recordSeen({ userId: 'u1', at: now - 50, signIn: on(familyId) });
			}
			await store.recordSeen({ userId: 'u1', at: now - 5000, signIn: on('put-away') });
			await store.recordSeen({ userId: 'u1', at: now - 20 });

			const member = await store.getUser('u1');
			assert.deepEqual(
				[member?.appliedRevision, member?.policySchema, member?.lastSeenAt],
				[4, 3, now - 20],
				"the member's own last report",
			);
			assert.deepEqual(
				await store.signIns.listLive('acme', now, now - 1000),
				new Map([
					[
						'u1',
						[
							{
								familyId: 'laptop',
								policySchema: 3,
								appliedRevision: 4,
								extensionVersion: '0.3.0',
								vscodeVersion: '1.117.0',
								lastSeenAt: now - 100,
								vscodeSettings: null,
							},
							{
								familyId: 'desktop',
								policySchema: 2,
								appliedRevision: 3,
								extensionVersion: null,
								vscodeVersion: null,
								lastSeenAt: now - 300,
								vscodeSettings: null,
							},
						],
					],
				]),
				'live sign-ins seen since, newest first: not a rotated-out, expired or revoked refresh token, nor one not seen lately',
			);
			assert.deepEqual(await store.signIns.listLive('other-org', now, 0), new Map());

			// A call that says nothing of what it runs (the extension put back to 0.2.0): nothing stale is kept.
			await store.recordSeen({ userId: 'u1', at: now - 100, policySchema: 2, signIn: on('laptop') });
			assert.deepEqual((await store.signIns.listLive('acme', now, now - 1000)).get('u1')?.[0], {
				familyId: 'laptop',
				policySchema: 2,
				appliedRevision: 4,
				extensionVersion: null,
				vscodeVersion: null,
				lastSeenAt: now - 100,
				vscodeSettings: null,
			});
			// Signing out ends the family: it no longer counts.
			await store.revokeFamily('desktop', now, 'signed_out');
			assert.deepEqual(
				[...((await store.signIns.listLive('acme', now, 0)).get('u1') ?? [])].map((each) => each.familyId),
				['laptop', 'put-away'],
			);
			// Purged with the last of its tokens; gone with its member.
			await store.purgeExpired(token.expiresAt + 1);
			assert.deepEqual(await store.signIns.listLive('acme', now, 0), new Map());
			await signIn('again');
			await store.recordSeen({ userId: 'u1', at: now, signIn: on('again') });
			assert.equal((await store.signIns.listLive('acme', now, 0)).get('u1')?.length, 1);
			await store.removeUser('u1', now);
			await store.createUser(user('u1'));
			await signIn('again-after', 'refresh');
			assert.deepEqual(await store.signIns.listLive('acme', now, 0), new Map(), 'a removed member leaves no report behind');
		});

		it("keeps each sign-in's VS Code settings report apart, replaced by its next one, beside what it applied", async () => {
			const now = token.createdAt + 1000;
			await store.createUser(user('u1'));
			for (const familyId of ['laptop', 'desktop']) {
				await store.insertTokens([{ ...token, familyId, tokenHash: `refresh-${familyId}`, kind: 'refresh' }]);
			}
			const on = (familyId: string) => ({ orgId: 'acme', familyId, userId: 'u1' });
			const settings = (utilityModel: string | null, reportedAt: number) => ({
				supported: true,
				utilityModel,
				utilitySmallModel: null,
				reportedAt,
			});
			// Reported before the machine's first sync: the sign-in is recorded with it.
			await store.signIns.recordVsCodeSettings(
				{ ...on('laptop'), extensionVersion: '0.3.0', vscodeVersion: '1.117.0' },
				settings('a/one', now - 400),
			);
			await store.recordApplied({ userId: 'u1', revision: 5, at: now - 300, policySchema: 3, signIn: on('laptop') });
			await store.recordApplied({ userId: 'u1', revision: 5, at: now - 250, policySchema: 3, signIn: on('desktop') });
			await store.signIns.recordVsCodeSettings(on('laptop'), settings('a/two', now - 200));
			await store.signIns.recordVsCodeSettings(on('desktop'), {
				supported: false,
				utilityModel: null,
				utilitySmallModel: null,
				reportedAt: now - 100,
			});

			const listed = (await store.signIns.listLive('acme', now, 0)).get('u1') ?? [];
			assert.deepEqual(
				listed.map(({ familyId, appliedRevision, extensionVersion, lastSeenAt, vscodeSettings }) => ({
					familyId,
					appliedRevision,
					extensionVersion,
					lastSeenAt,
					vscodeSettings,
				})),
				[
					{
						familyId: 'desktop',
						appliedRevision: 5,
						extensionVersion: null,
						lastSeenAt: now - 100,
						vscodeSettings: { supported: false, utilityModel: null, utilitySmallModel: null, reportedAt: now - 100 },
					},
					{
						familyId: 'laptop',
						appliedRevision: 5,
						extensionVersion: null,
						lastSeenAt: now - 200,
						vscodeSettings: settings('a/two', now - 200),
					},
				],
				'each machine its own report, the newest replacing the one before; what it applied and runs stays as its calls said',
			);
		});

		it('keeps millisecond timestamps exact and marks a refresh token used exactly once', async () => {
			await store.insertTokens([{ ...token, tokenHash: 'r', kind: 'refresh' }]);
			assert.equal((await store.getToken('r'))?.expiresAt, 1_800_000_000_000);
			assert.equal(await store.markTokenUsed('r', 5), true);
			assert.equal(await store.markTokenUsed('r', 6), false);
		});

		it("lists an organization's admin API tokens not revoked, newest first, with their makers, and notes their last use", async () => {
			await store.createUser(user('u1'));
			const admin = { ...token, familyId: null, clientId: null, kind: 'admin_api' as const, expiresAt: null };
			await store.insertTokens([
				{ ...admin, tokenHash: 'older', createdAt: 1, label: 'older' },
				{ ...admin, tokenHash: 'newer', createdAt: 2, label: 'newer' },
				{ ...admin, tokenHash: 'gone', createdAt: 3, label: 'revoked' },
				{ ...admin, tokenHash: 'elsewhere', orgId: 'other', createdAt: 4, label: 'other organization' },
				{ ...token, tokenHash: 'access', kind: 'access', createdAt: 5 },
			]);
			await store.revokeToken('gone', 10, 'signed_out');
			assert.equal((await store.getToken('gone'))?.revokedReason, 'signed_out', 'why it ended is kept with it');
			assert.equal((await store.getToken('newer'))?.revokedReason, undefined);
			await store.noteAdminApiTokenUse('older', 1_790_000_000_123);
			await store.noteAdminApiTokenUse('access', 99);
			const listed = await store.listAdminApiTokens('acme');
			assert.deepEqual(
				listed.map(({ token: { label, usedAt }, user: { email } }) => [label, usedAt, email]),
				[
					['newer', null, 'u1@acme.example'],
					['older', 1_790_000_000_123, 'u1@acme.example'],
				],
			);
			assert.equal((await store.getToken('access'))?.usedAt, null, 'only admin API tokens are noted');
		});

		it('accepts an invitation once, creating its user', async () => {
			await store.createInvitation({
				tokenHash: 'inv',
				orgId: 'acme',
				email: 'new@acme.example',
				role: 'member',
				createdBy: 'admin',
				createdAt: org.createdAt,
				expiresAt: Date.parse('2030-01-01T00:00:00Z'),
				acceptedAt: null,
			});
			assert.equal(await store.acceptInvitation('inv', { ...user('u2'), email: 'new@acme.example' }, org.createdAt), 'accepted');
			assert.equal(await store.acceptInvitation('inv', { ...user('u3'), email: 'new@acme.example' }, org.createdAt), 'already-used');
			assert.deepEqual(
				(await store.listUsers('acme')).map((u) => u.id),
				['u2'],
			);
			await store.createInvitation({
				tokenHash: 'inv2',
				orgId: 'acme',
				email: 'new@acme.example',
				role: 'member',
				createdBy: 'admin',
				createdAt: org.createdAt,
				expiresAt: Date.parse('2030-01-01T00:00:00Z'),
				acceptedAt: null,
			});
			assert.equal(
				await store.acceptInvitation('inv2', { ...user('u4'), email: 'new@acme.example' }, org.createdAt),
				'already-member',
				'a second invitation for a taken email',
			);
			assert.equal((await store.getInvitation('inv2'))?.acceptedAt, null, 'nothing was half-applied');
		});

		it('keeps SSO settings with their secret apart, a test mark only for the settings it tested, and SCIM tokens by hash', async () => {
			const saved = {
				orgId: 'acme',
				settingsJson: '{"issuer":"https://idp"}',
				clientSecret: 's3cret',
				testedFingerprint: null,
				updatedAt: 1,
				updatedBy: 'admin',
			};
			await store.identity.saveSsoSettings(saved);
			assert.equal(
				await store.identity.markSsoTested('acme', 'fp', '{"issuer":"https://other"}'),
				false,
				'settings changed since the test began',
			);
			assert.equal(await store.identity.markSsoTested('acme', 'fp', saved.settingsJson), true);
			await store.identity.setScimToken('acme', 'scim-hash');
			await store.identity.saveSsoSettings({ ...saved, settingsJson: '{"issuer":"https://idp2"}', updatedAt: 2 });
			const stored = await store.identity.getSsoSettings('acme');
			assert.deepEqual(
				[stored?.settingsJson, stored?.testedFingerprint, stored?.scimTokenHash, stored?.clientSecret],
				['{"issuer":"https://idp2"}', null, 'scim-hash', 's3cret'],
			);
			assert.equal(await store.identity.findScimOrganization('scim-hash'), 'acme');
			await store.identity.setScimToken('acme', null);
			assert.equal(await store.identity.findScimOrganization('scim-hash'), undefined);
		});

		it('hands an SSO sign-in state out exactly once, and purges abandoned ones', async () => {
			const login = {
				stateHash: 'st',
				orgId: 'acme',
				purpose: 'device' as const,
				nonce: 'n',
				codeVerifier: 'v',
				returnTo: '/device?user_code=X',
				bindingHash: 'b',
				createdAt: 1,
				expiresAt: 10,
			};
			await store.identity.createSsoLogin(login);
			const taken = await Promise.all([store.identity.takeSsoLogin('st'), store.identity.takeSsoLogin('st')]);
			assert.deepEqual(taken.filter(Boolean), [login]);
			await store.identity.createSsoLogin({ ...login, stateHash: 'old' });
			await store.purgeExpired(100);
			assert.equal(await store.identity.takeSsoLogin('old'), undefined);
		});

		it('deactivates a person with all their tokens in one step, and reactivates them', async () => {
			await store.createUser(user('u1'));
			await store.insertTokens([{ ...token, tokenHash: 'a', kind: 'access' }]);
			assert.equal(await store.identity.setDeactivated('u1', 50), true);
			assert.equal((await store.getUser('u1'))?.deactivatedAt, 50);
			assert.equal((await store.getToken('a'))?.revokedAt, 50);
			assert.equal((await store.getTokenWithUser('a'))?.user.deactivatedAt, 50, 'the token read carries the state');
			assert.equal(await store.identity.setDeactivated('u1', null), true);
			assert.equal((await store.getUser('u1'))?.deactivatedAt, null);
			assert.equal(await store.identity.setDeactivated('nobody', 1), false);
			assert.equal(await store.identity.updateUser('u1', { email: 'New@acme.example', externalId: 'ext', role: 'admin' }), true);
			const updated = await store.getUser('u1');
			assert.deepEqual([updated?.email, updated?.externalId, updated?.role], ['new@acme.example', 'ext', 'admin']);
		});

		it('lists audit events newest first with their details', async () => {
			await store.audit.appendAudit({
				id: 'e1',
				orgId: 'acme',
				at: 1,
				actor: 'a',
				action: 'sign_in.sso',
				outcome: 'ok',
				detail: { purpose: 'console' },
			});
			await store.audit.appendAudit({
				id: 'e2',
				orgId: 'acme',
				at: 2,
				actor: 'b',
				action: 'scim.user_created',
				outcome: 'refused',
				detail: { user: 'x', active: false },
			});
			await store.audit.appendAudit({ id: 'e3', orgId: 'other', at: 3, actor: 'c', action: 'x', outcome: 'ok', detail: {} });
			const events = await store.audit.listAudit('acme', { limit: 10 });
			assert.deepEqual(
				events.map((event) => event.id),
				['e2', 'e1'],
			);
			assert.deepEqual(events[0]?.detail, { user: 'x', active: false });
		});

		it('pages the audit list back from a position and reads on after one, events of one millisecond in id order', async () => {
			const event = (id: string, at: number, action = 'sign_in.sso', actor = 'a') =>
				store.audit.appendAudit({ id, orgId: 'acme', at, actor, action, outcome: 'ok', detail: {} });
			await event('a', 10);
			await event('b', 20, 'member.removed', 'lead@acme.example (API token "pipeline")');
			await event('c', 20);
			await event('d', 20);
			await event('e', 30, 'member.removed');
			const ids = async (query: Parameters<Store['audit']['listAudit']>[1]) =>
				(await store.audit.listAudit('acme', query)).map((each) => each.id);
			assert.deepEqual(await ids({ limit: 2 }), ['e', 'd']);
			assert.deepEqual(await ids({ limit: 2, before: { at: 20, id: 'd' } }), ['c', 'b']);
			assert.deepEqual(await ids({ limit: 2, before: { at: 20, id: 'b' } }), ['a']);
			assert.deepEqual(await ids({ limit: 10, after: { at: 20, id: 'b' } }), ['c', 'd', 'e'], 'oldest first, after the position');
			assert.deepEqual(await ids({ limit: 10, after: { at: 30, id: 'e' } }), []);
			assert.deepEqual(await ids({ limit: 10, actions: ['member.removed'] }), ['e', 'b']);
			assert.deepEqual(await ids({ limit: 10, actor: 'lead@acme.example (API token "pipeline")' }), ['b'], 'one actor, named exactly');
			assert.deepEqual(await ids({ limit: 10, actor: 'lead@acme.example' }), []);
		});
	});
}

for (const { name, make } of STORE_HARNESSES) {
	storeContract(name, make);
}
if (!TEST_DATABASE_URL) {
	describe('PostgreSQL store contract', () => {
		it('runs when ORG_POLICY_TEST_DATABASE_URL names a server (.ci/run starts one: scripts/test-postgres.sh start)', function () {
			this.skip();
		});
	});
}

describe('store specifics', () => {
	it('SQLite keeps its data in one WAL-mode file with versioned migrations', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'opp-store-'));
		try {
			const store = await openSqliteStore(dir);
			await store.close();
			const raw = new Database(join(dir, 'policy.sqlite'), { readonly: true });
			assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
			assert.deepEqual(raw.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all(), Object.keys(MIGRATIONS));
			raw.close();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('SQLite refuses an existing file that is empty, damaged or not its own, instead of starting a new organization', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'opp-store-'));
		try {
			const file = join(dir, 'policy.sqlite');
			writeFileSync(file, '');
			await assert.rejects(openSqliteStore(dir), /policy\.sqlite exists but holds no policy data/);
			writeFileSync(file, 'not a database at all, just some text that happens to be long enough'.repeat(100));
			await assert.rejects(openSqliteStore(dir), /policy\.sqlite cannot be read: file is not a database/);
			const fresh = join(dir, 'fresh');
			const store = await openSqliteStore(fresh);
			await store.close();
			assert.equal(statSync(fresh).mode & 0o777, 0o700, 'the data directory is private');
			assert.equal(statSync(join(fresh, 'policy.sqlite')).mode & 0o777, 0o600, 'the database file is private');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	(TEST_DATABASE_URL ? it : it.skip)('PostgreSQL migrates once even when several instances start together', async () => {
		const database = await freshDatabase();
		try {
			const stores = await Promise.all([openPostgresStore(database.url), openPostgresStore(database.url), openPostgresStore(database.url)]);
			const client = new pg.Client({ connectionString: database.url });
			await client.connect();
			const applied = (await client.query('SELECT name FROM kysely_migration ORDER BY name')).rows.map((row: { name: string }) => row.name);
			await client.end();
			assert.deepEqual(applied, Object.keys(MIGRATIONS), 'each migration applied exactly once');
			for (const store of stores) {
				await store.close();
			}
		} finally {
			await database.drop();
		}
	});
});
