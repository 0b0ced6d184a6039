// The activation path (issue #31): the cache is checked with the validators generated at build time,
// not zod, and the decision is handed to the rest of the extension. The same disks that must never
// unlock a member (member-fail-closed.test.ts) go through it here.
import assert from 'node:assert/strict';
import { buildPolicyDocument, generateSigningKeyPair, PolicySettingsSchema, signPolicy } from '../../src/policy';
import { PolicySync } from '../../src/extension/sync/policy-sync';
import { restoreAtStartUp } from '../../src/extension/sync/start-up-policy';
import { loadPrecompiledValidators } from '../support/precompiled-validators';
import { ManualScheduler } from '../support/manual-scheduler';
import { ACME_CACHE_KEY, memberWhoApplied, MemoryKeyValueStore, MemorySecretStore, setCachedPolicy } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { ManualClock } from '../support/service';

describe('the activation path never unlocks a member', function () {
	this.timeout(30_000);
	const validators = loadPrecompiledValidators();
	const keys = generateSigningKeyPair();
	const attacker = generateSigningKeyPair();
	const document = (revision: number, settings: unknown = validSettings.plainCompatible) =>
		buildPolicyDocument(PolicySettingsSchema.parse(settings), {
			organization: { id: 'acme', name: 'Acme Corp' },
			revision,
			updatedAt: '2026-11-26T10:00:00Z',
			updatedBy: 'a@acme.example',
		});
	const signed = (policy: ReturnType<typeof document>, signer = keys) =>
		JSON.parse(JSON.stringify(signPolicy(policy, signer.privateKeyPem)));
	let memento: MemoryKeyValueStore;
	let secrets: MemorySecretStore;
	let sync: PolicySync;

	beforeEach(async () => {
		// A member who applied revision 4 under the organization's real key.
		({ memento, secrets } = await memberWhoApplied(4, signed(document(4)), keys.publicKey));
		sync = new PolicySync({ state: memento, secrets }, new ManualScheduler(new ManualClock(), false), { ackSpreadMs: 0 });
	});
	afterEach(() => sync.dispose());

	/** What activation decides, then the state the rest of the extension starts in. */
	const startUp = async () => {
		const decision = await restoreAtStartUp(secrets, memento, validators);
		await sync.adoptStartUp(decision);
		return { decision, state: sync.current };
	};

	it('puts the verified cache in force, validated again by zod once the rest loads', async () => {
		const { decision, state } = await startUp();
		assert.equal(decision.kind, 'restored');
		assert.equal(state.policy?.document.revision, 4);
		assert.equal(state.policy?.source, 'cached');
		assert.deepEqual(state.policy?.document, document(4), 'the full check yields the document as the service parsed and signed it');
	});

	it('is locked, unable to verify, when the cache is altered, deleted, rolled back or signed by another key', async () => {
		const cases: [string, unknown][] = [
			[
				'altered',
				(() => {
					const envelope = signed(document(4));
					envelope.policy.enabled = false;
					return envelope;
				})(),
			],
			['deleted', undefined],
			['rolled back', signed(document(2, validSettings.disabled))],
			['signed by another key', signed(document(9, validSettings.disabled), attacker)],
			['not an envelope', { policy: 'enabled: false' }],
		];
		for (const [what, envelope] of cases) {
			await setCachedPolicy(secrets, envelope === undefined ? undefined : { envelope, receivedAt: 1 });
			sync.dispose();
			sync = new PolicySync({ state: memento, secrets }, new ManualScheduler(new ManualClock(), false), { ackSpreadMs: 0 });
			const { decision, state } = await startUp();
			assert.equal(decision.kind, 'cannot-verify', what);
			assert.equal(state.status, 'cannot-verify', what);
			assert.equal(state.policy, undefined, what);
		}
	});

	it('refuses at start-up a signed document that breaks a rule only zod states', async () => {
		// Genuinely signed, structurally valid, but its default model is not among the allowed ones:
		// the precompiled check passes it and the full check, before anything is served, does not.
		const withModels = {
			...validSettings.plainCompatible,
			provider: { ...validSettings.plainCompatible.provider, models: { allowed: ['gpt-4o'] } },
		};
		const broken = document(5, withModels);
		assert.ok(broken.provider?.models);
		broken.provider.models.default = 'not-an-allowed-model';
		await setCachedPolicy(secrets, { envelope: signed(broken), receivedAt: 1 });
		const { decision, state } = await startUp();
		assert.equal(decision.kind, 'restored', 'the JSON Schema cannot state this rule');
		assert.equal(state.status, 'cannot-verify');
	});

	it('leaves a cache of an older schema version, or an unreadable pin, to the full check', async () => {
		const v2 = signed({ ...document(4), schemaVersion: 2 } as ReturnType<typeof document>);
		await setCachedPolicy(secrets, { envelope: v2, receivedAt: 1 });
		const { decision, state } = await startUp();
		assert.equal(decision.kind, 'needs-full-check');
		// Adopting it runs the full restore (zod, every schema version): the older document applies.
		assert.equal(state.policy?.document.schemaVersion, 2);
		assert.equal(state.policy?.document.revision, 4);
		await secrets.store('orgProviderPolicy.pin', '{not json');
		assert.equal((await restoreAtStartUp(secrets, memento, validators)).kind, 'needs-full-check');
	});

	it("moves an earlier release's cache out of global state (plain text on disk) into secret storage, applied as before", async () => {
		// Releases up to 0.2.x kept it in global state, custom header values (a gateway's key) and all.
		const envelope = signed(document(4));
		await setCachedPolicy(secrets, undefined);
		await memento.update(ACME_CACHE_KEY, { envelope, receivedAt: 1 });
		const { decision, state } = await startUp();
		assert.equal(decision.kind, 'needs-full-check', 'the full check reads it, and moves it');
		assert.equal(state.policy?.document.revision, 4);
		assert.equal(memento.get(ACME_CACHE_KEY), undefined, 'no copy left in global state');
		assert.deepEqual(JSON.parse((await secrets.get(ACME_CACHE_KEY)) ?? 'null'), { envelope, receivedAt: 1 });
		// The next start reads it from secret storage, on the precompiled path.
		assert.equal((await restoreAtStartUp(secrets, memento, validators)).kind, 'restored');
	});

	it("moves an earlier release's altered cache too, and stays locked", async () => {
		const envelope = signed(document(4));
		envelope.policy.enabled = false;
		await setCachedPolicy(secrets, undefined);
		await memento.update(ACME_CACHE_KEY, { envelope, receivedAt: 1 });
		const { state } = await startUp();
		assert.equal(state.status, 'cannot-verify');
		assert.equal(memento.get(ACME_CACHE_KEY), undefined);
		assert.equal((await restoreAtStartUp(secrets, memento, validators)).kind, 'cannot-verify');
	});

	it("moves other organizations' copies an earlier release left in global state too", async () => {
		// The member was in globex before acme: 0.2.0 kept both copies, and only acme's is pinned.
		const globex = { envelope: signed({ ...document(3), organization: { id: 'globex', name: 'Globex' } }), receivedAt: 1 };
		await memento.update('orgProviderPolicy.cache.globex', globex);
		const { decision, state } = await startUp();
		assert.equal(decision.kind, 'restored');
		assert.equal(state.policy?.document.revision, 4);
		await new Promise((resolve) => setImmediate(resolve));
		assert.deepEqual(memento.keys(), [], 'nothing of any policy left in global state');
		assert.deepEqual(JSON.parse((await secrets.get('orgProviderPolicy.cache.globex')) ?? 'null'), globex);
	});

	it('decides nothing on a machine that never signed in', async () => {
		await secrets.delete('orgProviderPolicy.pin');
		assert.deepEqual(await restoreAtStartUp(secrets, memento, validators), { kind: 'none' });
	});
});
