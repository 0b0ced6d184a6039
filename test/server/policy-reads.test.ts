import assert from 'node:assert/strict';
import {
	buildPolicyDocument,
	etagOf,
	generateSigningKeyPair,
	PolicySettingsSchema,
	signedBytes,
	type SignedPolicy,
} from '../../src/policy';
import type { PublishedRevision } from '../../src/server/policy/policy-service';
import { toPublished } from '../../src/server/policy/revisions';
import { servedPolicy, type ServedPolicyDeps } from '../../src/server/policy/served-policy';
import { PolicyVariants } from '../../src/server/policy/variants';
import { pemSigner } from '../../src/server/signing/signer';
import type { RolloutSpec } from '../../src/server/store/store';
import { stamp } from '../support/policy-fixtures';
import { ManualClock, startService } from '../support/service';

const keys = generateSigningKeyPair();
const signer = pemSigner(keys.privateKeyPem);

async function published(revision: number, settings: unknown, rollout?: RolloutSpec): Promise<PublishedRevision> {
	const document = buildPolicyDocument(PolicySettingsSchema.parse(settings), { ...stamp, revision });
	const signed: SignedPolicy = {
		policy: document,
		signature: { alg: 'Ed25519', keyId: signer.key.keyId, value: await signer.sign(signedBytes(document)) },
	};
	return toPublished({
		orgId: 'acme',
		revision,
		signedJson: JSON.stringify(signed),
		signedJsonV1: null,
		signedJsonV2: null,
		createdAt: 0,
		createdBy: 'admin@acme.example',
		rollout: rollout ?? null,
	});
}

const plain = { enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1' } };
const reader = { id: 'member-1', orgId: 'acme' };

/** The members' read path: the common read answered without a promise, every other one in full (#31). */
describe('policy reads', () => {
	/** In-memory doubles of what the read depends on, noting what was asked of them. */
	function world(options: { inMemory?: PublishedRevision; stored?: PublishedRevision; stable?: PublishedRevision; groups?: string[] }) {
		const asked: string[] = [];
		const groupsOf = async () => (asked.push('groups'), options.groups ?? []);
		const variants = new PolicyVariants({ keysFor: async () => ({ current: signer, endorsements: [], legacy: undefined }), groupsOf });
		const deps: ServedPolicyDeps = {
			policies: {
				newestInMemory: () => options.inMemory,
				current: async () => (asked.push('current'), options.stored),
			},
			rollouts: {
				served: async (current, _userId, groups) => {
					asked.push('rollout');
					return current.rollout?.group !== undefined && (await groups()).includes(current.rollout.group)
						? current
						: (options.stable ?? current);
				},
			},
			variants,
			groupsOf,
		};
		return { deps, asked };
	}

	it('answers the usual read (newest revision in memory, no rollout, no overlays) without a promise or a store read', async () => {
		const revision = await published(3, plain);
		const { deps, asked } = world({ inMemory: revision });
		const served = servedPolicy(deps, reader);
		assert.ok(served !== undefined && !(served instanceof Promise), 'answered at once');
		assert.equal(served.revision, 3);
		assert.deepEqual(served.applied, []);
		assert.equal(served.json(1), revision.json);
		assert.equal(served.etag(1), etagOf(3, 1));
		assert.deepEqual(asked, []);
	});

	it('reads the store when other instances\u2019 saves are not arriving, and says when there is no policy', async () => {
		const stored = await published(4, plain);
		const { deps, asked } = world({ stored });
		const served = servedPolicy(deps, reader);
		assert.ok(served instanceof Promise);
		assert.equal((await served)?.revision, 4);
		assert.deepEqual(asked, ['current', 'rollout']);
		assert.equal(await servedPolicy(world({}).deps, reader), undefined);
	});

	it('serves a member outside a rollout\u2019s canary the stable revision, and one inside it the new one', async () => {
		const stable = await published(5, plain);
		const rolling = await published(6, plain, { group: 'canary', stable: 5 });
		const outside = world({ inMemory: rolling, stable, groups: ['other'] });
		const servedOutside = servedPolicy(outside.deps, reader);
		assert.ok(servedOutside instanceof Promise, 'a rollout takes the full path');
		assert.equal((await servedOutside)?.revision, 5);
		const inside = world({ inMemory: rolling, stable, groups: ['canary'] });
		assert.equal((await servedPolicy(inside.deps, reader))?.revision, 6);
	});

	it('applies the member\u2019s groups\u2019 overlays, signed for them', async () => {
		const revision = await published(7, { ...plain, overlays: [{ group: 'team-a', models: { allowed: ['gpt-4o-mini'] } }] });
		const { deps } = world({ inMemory: revision, groups: ['team-a'] });
		const served = servedPolicy(deps, reader);
		assert.ok(served instanceof Promise, 'overlays take the full path');
		const policy = await served;
		assert.deepEqual(policy?.applied, ['team-a']);
		assert.notEqual(policy?.json(3), revision.json, 'the effective document, not the organization\u2019s');
	});

	it('resolves a bearer token read moments ago without a promise, and reads the store again after 5 s or a revocation', async () => {
		const clock = new ManualClock(Date.now());
		const service = await startService({ clock });
		try {
			const { access_token } = await service.signIn('admin@acme.example');
			const tokens = service.accounts.tokens;
			const first = await tokens.resolveBearer(access_token);
			assert.equal(first?.user.email, 'admin@acme.example');
			const again = tokens.resolveBearer(access_token);
			assert.ok(!(again instanceof Promise), 'answered from memory');
			assert.equal(again?.user.id, first?.user.id);
			clock.advance(5_001);
			const later = tokens.resolveBearer(access_token);
			assert.ok(later instanceof Promise, 'read again once the cached answer is 5 s old');
			assert.equal((await later)?.user.id, first?.user.id);
			await tokens.revoke(access_token);
			const revoked = tokens.resolveBearer(access_token);
			assert.ok(revoked instanceof Promise, 'a revocation forgets the cached answer');
			assert.equal(await revoked, undefined);
			assert.equal(tokens.resolveBearer(access_token), undefined, 'and the refusal is remembered as briefly');
		} finally {
			await service.close();
		}
	});
});
