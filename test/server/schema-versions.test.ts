import assert from 'node:assert/strict';
import {
	canonicalJson,
	PolicyDocumentV1Schema,
	PolicyDocumentV2Schema,
	SCHEMA_HEADER,
	SignedPolicySchema,
	verifySignedPolicy,
} from '../../src/policy';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, EventReader, jsonOf, putPolicy, startService, type RunningService, type TokenSet } from '../support/service';

/** Settings that use schema version 2: per-model settings for a reasoning deployment. */
const withModelSettings = {
	...validSettings.azureDeployment,
	provider: {
		...validSettings.azureDeployment.provider,
		models: {
			allowed: ['gpt-4o', 'prod-reasoner'],
			default: 'gpt-4o',
			settings: {
				'prod-reasoner': { displayName: 'Reasoner', reasoning: true, maxOutputTokens: 16_000, pinned: { reasoning_effort: 'high' } },
			},
		},
	},
};

/**
 * What a member of the first release does with a response: validate the envelope and the
 * document strictly against schema version 1, and verify the signature over what it received.
 */
function asFirstReleaseMember(envelope: unknown, member: TokenSet) {
	const shape = SignedPolicySchema.parse(envelope);
	const strict = PolicyDocumentV1Schema.safeParse(shape.policy);
	assert.ok(strict.success, `a schema 1 member refuses it: ${JSON.stringify(strict.error?.issues)}`);
	return verifySignedPolicy(envelope, { signingKey: member.policy_signing_key, organizationId: 'acme' }).policy;
}

describe('policy schema versions: members of every release keep working', () => {
	let service: RunningService;
	let admin: TokenSet;
	let member: TokenSet;

	beforeEach(async () => {
		service = await startService();
		await service.addUser('dev@acme.example', 'member');
		admin = await service.signIn(ADMIN.email);
		member = await service.signIn('dev@acme.example');
		assert.equal((await putPolicy(service.url, admin.access_token, withModelSettings, '"1"')).status, 200);
	});
	afterEach(async () => service.close());

	const getPolicy = (headers: Record<string, string> = {}) =>
		fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token, headers) });

	it('serves a member that states no version (the first release) schema 1, signed, without the new fields', async () => {
		const response = await getPolicy();
		assert.equal(response.status, 200);
		assert.equal(response.headers.get('etag'), '"2"', 'the ETag members of the first release send back');
		assert.equal(response.headers.get(SCHEMA_HEADER), '1');
		const document = asFirstReleaseMember(await jsonOf(response), member);
		assert.equal(document.schemaVersion, 1);
		assert.deepEqual(document.provider?.models, { allowed: ['gpt-4o', 'prod-reasoner'], default: 'gpt-4o' });
		assert.equal((await getPolicy({ 'if-none-match': '"2"' })).status, 304);
	});

	it('never gives a first-release member a plain-HTTP policy it would take for https: it refuses what it gets and keeps its own (fail closed)', async () => {
		const plain = { enabled: true, provider: { id: 'openai-compatible', baseUrl: 'http://vllm.internal:8000/v1', allowPlainHttp: true } };
		assert.equal((await putPolicy(service.url, admin.access_token, plain, '"2"')).status, 200);
		const served = await jsonOf(await getPolicy());
		assert.notEqual(served.policy.schemaVersion, 1, 'there is no schema-1 form of this revision');
		assert.throws(() => asFirstReleaseMember(served, member), 'a first-release member refuses it');
		const current = verifySignedPolicy(await jsonOf(await getPolicy({ [SCHEMA_HEADER]: '2' })), {
			signingKey: member.policy_signing_key,
			organizationId: 'acme',
		}).policy;
		assert.equal(current.provider?.allowPlainHttp, true);
	});

	it('serves a member that understands schema 2 the per-model settings, under its own ETag', async () => {
		const response = await getPolicy({ [SCHEMA_HEADER]: '2' });
		assert.equal(response.headers.get(SCHEMA_HEADER), '2');
		assert.equal(response.headers.get('etag'), '"2.v2"');
		assert.match(response.headers.get('vary') ?? '', new RegExp(SCHEMA_HEADER, 'i'));
		const { policy } = verifySignedPolicy(await jsonOf(response), { signingKey: member.policy_signing_key, organizationId: 'acme' });
		assert.equal(policy.schemaVersion, 2);
		assert.deepEqual(policy.provider?.models?.settings?.['prod-reasoner']?.pinned, { reasoning_effort: 'high' });
		assert.equal((await getPolicy({ [SCHEMA_HEADER]: '2', 'if-none-match': '"2.v2"' })).status, 304);
		assert.equal(
			(await getPolicy({ [SCHEMA_HEADER]: '2', 'if-none-match': '"2"' })).status,
			200,
			'the schema 1 representation is another one',
		);
		assert.equal(
			(await getPolicy({ [SCHEMA_HEADER]: '9' })).headers.get(SCHEMA_HEADER),
			'3',
			'a newer member gets the newest this service has',
		);
	});

	it('streams each member the revisions in its own version', async () => {
		const stream = (headers: Record<string, string>) =>
			fetch(`${service.url}/api/v1/policy/events`, { headers: bearer(member.access_token, { 'last-event-id': '2', ...headers }) });
		const old = new EventReader(await stream({}));
		const current = new EventReader(await stream({ [SCHEMA_HEADER]: '2' }));
		try {
			const next = { ...withModelSettings, adminContact: 'help@acme.example' };
			assert.equal((await putPolicy(service.url, admin.access_token, next, '"2"')).status, 200);
			const oldEvent = await old.next();
			assert.equal(oldEvent?.id, '3');
			assert.equal(asFirstReleaseMember(JSON.parse(oldEvent!.data!), member).organization.adminContact, 'help@acme.example');
			const currentEvent = await current.next();
			assert.equal(JSON.parse(currentEvent!.data!).policy.provider.models.settings['prod-reasoner'].displayName, 'Reasoner');
		} finally {
			await old.cancel();
			await current.cancel();
		}
	});

	it("keeps the admin's view in the newest version, and both versions signed in canonical form", async () => {
		const [first, second] = await Promise.all([getPolicy(), getPolicy({ [SCHEMA_HEADER]: '2' })]);
		for (const response of [first, second]) {
			const text = await response.text();
			assert.equal(text, canonicalJson(JSON.parse(text)));
		}
		const history = await jsonOf(await fetch(`${service.url}/api/v1/admin/policy/revisions`, { headers: bearer(admin.access_token) }));
		assert.ok(
			history.revisions[0].changes.some((change: { path: string }) => change.path.startsWith('provider.models.settings')),
			JSON.stringify(history.revisions[0].changes),
		);
	});

	describe('schema 3: models only the Responses API serves', () => {
		const withCodex = (allowed: string[]) => ({
			...validSettings.azureDeployment,
			provider: {
				...validSettings.azureDeployment.provider,
				models: {
					allowed,
					default: allowed[0],
					settings: Object.fromEntries(
						allowed
							.filter((name) => name.includes('codex'))
							.map((name) => [name, { reasoning: true, api: 'responses', pinned: { reasoning_effort: 'xhigh' } }]),
					),
				},
			},
		});

		it('a schema 2 member is never offered a model it cannot call; a schema 3 member gets it with its API', async () => {
			assert.equal((await putPolicy(service.url, admin.access_token, withCodex(['gpt-5.2-codex', 'gpt-4o']), '"2"')).status, 200);
			const older = await getPolicy({ [SCHEMA_HEADER]: '2' });
			assert.equal(older.headers.get('etag'), '"3.v2"');
			const envelope = await jsonOf(older);
			const strict = PolicyDocumentV2Schema.safeParse(SignedPolicySchema.parse(envelope).policy);
			assert.ok(strict.success, `a schema 2 member refuses it: ${JSON.stringify(strict.error?.issues)}`);
			const { policy } = verifySignedPolicy(envelope, { signingKey: member.policy_signing_key, organizationId: 'acme' });
			assert.deepEqual(
				policy.provider?.models,
				{ allowed: ['gpt-4o'], settings: {} },
				'the codex model, its settings and default left out',
			);
			const first = asFirstReleaseMember(await jsonOf(await getPolicy()), member);
			assert.deepEqual(first.provider?.models, { allowed: ['gpt-4o'] });

			const newest = await getPolicy({ [SCHEMA_HEADER]: '3' });
			assert.equal(newest.headers.get('etag'), '"3.v3"');
			const current = verifySignedPolicy(await jsonOf(newest), { signingKey: member.policy_signing_key, organizationId: 'acme' }).policy;
			assert.equal(current.schemaVersion, 3);
			assert.deepEqual(current.provider?.models?.settings?.['gpt-5.2-codex'], {
				reasoning: true,
				api: 'responses',
				pinned: { reasoning_effort: 'xhigh' },
				toolCalling: true,
				imageInput: false,
				forbidden: [],
			});
		});

		it('a policy whose every model needs the Responses API is not projected: older members keep theirs (fail closed)', async () => {
			assert.equal((await putPolicy(service.url, admin.access_token, withCodex(['gpt-5.2-codex']), '"2"')).status, 200);
			for (const stated of ['2', undefined]) {
				const served = await jsonOf(await getPolicy(stated ? { [SCHEMA_HEADER]: stated } : {}));
				assert.equal(served.policy.schemaVersion, 3, 'there is no older form of this revision');
				assert.equal(PolicyDocumentV2Schema.safeParse(served.policy).success, false, 'a schema 2 member refuses it');
			}
		});
	});
});
