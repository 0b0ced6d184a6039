import assert from 'node:assert/strict';
import {
	buildPolicyDocument,
	generateSigningKeyPair,
	overlaysFor,
	PolicySettingsSchema,
	signedBytes,
	type SignedPolicy,
} from '../../src/policy';
import { toPublished } from '../../src/server/policy/revisions';
import { PolicyVariants } from '../../src/server/policy/variants';
import { pemSigner } from '../../src/server/signing/signer';
import { stamp } from '../support/policy-fixtures';
import { seededRandom } from '../support/random';

/**
 * The cost of a save with group overlays grows with the distinct effective documents, not with the
 * members: 10,000 members in 50 groups (each in one to three), overlays on 10 of them.
 */
describe('group overlays at scale', () => {
	it('signs one document per distinct set of overlays for 10,000 members in 50 overlapping groups', async () => {
		const groups = Array.from({ length: 50 }, (_, index) => `team-${index}`);
		const settings = PolicySettingsSchema.parse({
			enabled: true,
			provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', models: { allowed: ['gpt-4o', 'gpt-4o-mini'] } },
			overlays: groups.slice(0, 10).map((group, index) => ({ group, models: { allowed: [`model-${index}`, 'gpt-4o'] } })),
		});
		const document = buildPolicyDocument(settings, { ...stamp, revision: 7 });
		const keys = generateSigningKeyPair();
		const signer = pemSigner(keys.privateKeyPem);
		let signatures = 0;
		const counting = { key: signer.key, sign: (bytes: Buffer) => (signatures++, signer.sign(bytes)) };
		const value = await signer.sign(signedBytes(document));
		const signed: SignedPolicy = { policy: document, signature: { alg: 'Ed25519', keyId: signer.key.keyId, value } };
		const revision = toPublished({
			orgId: 'acme',
			revision: 7,
			signedJson: JSON.stringify(signed),
			signedJsonV1: null,
			signedJsonV2: null,
			createdAt: 0,
			createdBy: 'admin@acme.example',
		});
		let documents = 0;
		const variants = new PolicyVariants({
			keysFor: async () => ({ current: counting, endorsements: [], legacy: undefined }),
			groupsOf: async () => [],
			onSigned: () => documents++,
		});

		const next = seededRandom(42);
		const distinct = new Set<string>();
		const served = [];
		for (let member = 0; member < 10_000; member++) {
			const mine = Array.from({ length: 1 + Math.floor(next() * 3) }, () => groups[Math.floor(next() * groups.length)]!);
			distinct.add(JSON.stringify(overlaysFor(settings.overlays, mine).map((overlay) => overlay.group)));
			served.push(variants.forGroups(revision, mine));
		}
		const policies = await Promise.all(served);
		assert.equal(documents, distinct.size, 'one effective document per distinct set of overlays');
		assert.ok(distinct.size < 200, `${distinct.size} distinct sets for 10,000 members`);
		// Each document signed once per schema version it can be projected to (1, 2 and 3).
		assert.equal(signatures, distinct.size * 3);
		const applied = new Set(policies.map((policy) => JSON.stringify(policy.applied)));
		assert.deepEqual([...applied].sort(), [...distinct].sort());
	});
});
