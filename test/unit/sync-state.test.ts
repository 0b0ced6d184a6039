import assert from 'node:assert/strict';
import { INITIAL_STATE, transition, type AppliedPolicy, type SyncEvent, type SyncState } from '../../src/extension/sync/state';
import { buildPolicyDocument, PolicySettingsSchema } from '../../src/policy';
import { stamp, validSettings } from '../support/policy-fixtures';

const policy = (revision: number, source: AppliedPolicy['source'] = 'live', organization = stamp.organization): AppliedPolicy => ({
	document: buildPolicyDocument(PolicySettingsSchema.parse(validSettings.azureDeployment), { ...stamp, organization, revision }),
	source,
	receivedAt: revision,
});
const run = (...events: SyncEvent[]): SyncState => events.reduce(transition, INITIAL_STATE);

describe('sync state machine', () => {
	it('never replaces an applied revision with an older one, but a live one replaces a cached one', () => {
		assert.equal(
			run({ type: 'started', organizationId: 'acme' }, { type: 'received', policy: policy(5) }, { type: 'received', policy: policy(3) })
				.policy?.document.revision,
			5,
		);
		assert.equal(
			run(
				{ type: 'restored', policy: policy(5, 'cached') },
				{ type: 'started', organizationId: 'acme' },
				{ type: 'received', policy: policy(4) },
			).policy?.source,
			'live',
		);
	});

	it('keeps the first moment of an outage while it lasts, and its latest reason', () => {
		const state = run(
			{ type: 'started', organizationId: 'acme' },
			{ type: 'received', policy: policy(2) },
			{ type: 'failed', reason: 'cannot reach (ECONNREFUSED)', unreachable: true, at: 100 },
			{ type: 'failed', reason: 'cannot reach (ETIMEDOUT)', unreachable: true, at: 200 },
		);
		assert.deepEqual(state.status === 'stale' && [state.since, state.reason, state.policy.document.revision], [
			100,
			'cannot reach (ETIMEDOUT)',
			2,
		]);
		assert.equal(transition(state, { type: 'confirmed' }).status, 'in-sync');
	});

	it('is an error, not stale, when nothing was ever applied; a failure that is not the network says so', () => {
		const state = run(
			{ type: 'started', organizationId: 'acme' },
			{ type: 'failed', reason: 'GET /api/v1/policy answered 500', unreachable: false, at: 1 },
		);
		assert.deepEqual(state, { status: 'error', policy: undefined, message: 'policy sync failed: GET /api/v1/policy answered 500' });
	});

	it('keeps the applied policy through a refusal and a sign-out (fail closed)', () => {
		const refused = run(
			{ type: 'started', organizationId: 'acme' },
			{ type: 'received', policy: policy(7) },
			{ type: 'refused', reason: 'bad signature' },
		);
		assert.equal(
			refused.status === 'error' && refused.message,
			'refused a policy from the service: bad signature; revision 7 stays in force',
		);
		assert.equal(transition(refused, { type: 'signed-out' }).policy?.document.revision, 7);
		const newer = transition(refused, {
			type: 'refused',
			reason: 'revision 8 of the policy uses policy schema 4; this extension understands schemas up to 3',
			needsUpdate: true,
		});
		assert.deepEqual(
			[newer.policy?.document.revision, newer.status === 'error' && newer.message],
			[
				7,
				"your organization's policy needs a newer version of this extension (revision 8 of the policy uses policy schema 4; this extension understands schemas up to 3): update it; revision 7 stays in force",
			],
		);
	});

	it("drops another organization's policy when sync starts, and a cache never overrides a live policy", () => {
		const acme = run({ type: 'restored', policy: policy(4, 'cached') });
		assert.equal(transition(acme, { type: 'started', organizationId: 'globex' }).policy, undefined);
		assert.equal(transition(acme, { type: 'started', organizationId: 'acme' }).policy?.document.revision, 4);
		const live = run({ type: 'started', organizationId: 'acme' }, { type: 'received', policy: policy(6) });
		assert.equal(transition(live, { type: 'restored', policy: policy(9, 'cached') }).policy?.document.revision, 6);
	});
});
