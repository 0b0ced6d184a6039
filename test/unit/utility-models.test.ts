import assert from 'node:assert/strict';
import { buildPolicyDocument, parseWith, PolicySettingsSchema, projectDocument } from '../../src/policy';
import { planUtilitySetting } from '../../src/extension/lock/utility-models';
import { stamp } from '../support/policy-fixtures';

const ORG = 'org-provider-policy/gpt-4o-mini';

/** VS Code's utility models (#24 item 4): pointed at the organization's model once, never locked, removed only while still ours. */
describe('utility models', () => {
	it('writes a new value the policy names, once; leaves a member’s own later choice alone', () => {
		assert.deepEqual(planUtilitySetting(ORG, undefined, undefined), { write: ORG, written: ORG });
		assert.deepEqual(planUtilitySetting(ORG, ORG, ORG), { written: ORG });
		assert.deepEqual(planUtilitySetting(ORG, ORG, 'copilot/gpt-4.1'), { written: ORG }, 'the member changed it: not written again');
		const next = 'org-provider-policy/o3';
		assert.deepEqual(planUtilitySetting(next, ORG, 'copilot/gpt-4.1'), { write: next, written: next }, 'the policy changed it: written');
	});

	it('removes the value when the policy stops naming one, only while it is still the one written', () => {
		assert.deepEqual(planUtilitySetting(undefined, ORG, ORG), { write: null, written: undefined });
		assert.deepEqual(planUtilitySetting(undefined, ORG, 'copilot/gpt-4.1'), { written: undefined });
		assert.deepEqual(planUtilitySetting(undefined, undefined, 'copilot/gpt-4.1'), { written: undefined });
	});

	it('takes a utility model only from the allowed models, and leaves it out for members before schema 3', () => {
		const refused = parseWith(PolicySettingsSchema, {
			enabled: true,
			provider: {
				id: 'openai-compatible',
				baseUrl: 'https://llm.acme.example/v1',
				models: { allowed: ['gpt-4o'], utilityModel: 'gpt-4o-mini', utilitySmallModel: 'gpt-4o' },
			},
		});
		assert.deepEqual(!refused.ok && refused.errors, [
			{ path: 'provider.models.utilityModel', message: 'gpt-4o-mini is not in models.allowed' },
		]);
		const settings = PolicySettingsSchema.parse({
			enabled: true,
			provider: {
				id: 'openai-compatible',
				baseUrl: 'https://llm.acme.example/v1',
				models: { allowed: ['gpt-4o', 'gpt-4o-mini'], utilityModel: 'gpt-4o-mini', utilitySmallModel: 'gpt-4o-mini' },
			},
		});
		const document = buildPolicyDocument(settings, stamp);
		assert.equal(document.provider?.models?.utilityModel, 'gpt-4o-mini');
		assert.deepEqual(projectDocument(document, 2).provider?.models, { allowed: ['gpt-4o', 'gpt-4o-mini'] });
	});
});
