import assert from 'node:assert/strict';
import { PolicySettingsSchema, type PolicySettingsInput } from '../../src/policy';
import { restoreEffect } from '../../src/server/policy/restore-effect';

const settings = (input: PolicySettingsInput) => PolicySettingsSchema.parse(input);
const endpoint = (baseUrl: string, extra: Record<string, unknown> = {}) =>
	settings({ enabled: true, provider: { id: 'openai-compatible', baseUrl, ...extra } } as PolicySettingsInput);

describe("restoring a revision, in the console's words", () => {
	it('names enforcement turned on, the endpoint and the models members move to', () => {
		assert.deepEqual(
			restoreEffect(
				settings({ enabled: false }),
				endpoint('https://llm.acme.example/v1?code=secret', { models: { allowed: ['gpt-4o', 'o3'] } }),
			),
			['turns the policy on', 'endpoint → https://llm.acme.example/v1', 'models → gpt-4o, o3'],
		);
	});

	it('names enforcement turned off, and nothing else', () => {
		assert.deepEqual(restoreEffect(endpoint('https://llm.acme.example/v1'), settings({ enabled: false })), [
			'turns the policy off: members choose their own provider again',
		]);
	});

	it('names a change of credentials, and says nothing when members would feel no change', () => {
		const keys = endpoint('https://acme.openai.azure.com/openai/v1', { azure: { identityAuth: false } });
		const entra = endpoint('https://acme.openai.azure.com/openai/v1', { apiKeyRequired: false, azure: { identityAuth: true } });
		assert.deepEqual(restoreEffect(keys, entra), ['credentials → Entra ID']);
		assert.deepEqual(restoreEffect(keys, { ...keys, adminContact: 'help@acme.example' }), []);
	});
});
