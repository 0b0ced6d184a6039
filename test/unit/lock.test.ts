import assert from 'node:assert/strict';
import {
	allowedModels,
	effectiveSettings,
	managedSettingsMessage,
	providerChoices,
	type MemberProviderSettings,
} from '../../src/extension/lock/effective';
import { buildPolicyDocument, PolicySettingsSchema } from '../../src/policy';
import { stamp, validSettings } from '../support/policy-fixtures';

const member: MemberProviderSettings = { preset: 'custom', baseUrl: 'https://my-own.example/v1', headers: { 'X-Mine': '1' } };
const enabled = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.azureDeployment), stamp);
const disabled = buildPolicyDocument(PolicySettingsSchema.parse({ ...validSettings.azureDeployment, enabled: false }), stamp);

describe('lock rules and settings precedence', () => {
	it('warns members of a plain-HTTP endpoint the admin chose, and of nothing otherwise (#14 item 9)', () => {
		const plain = buildPolicyDocument(
			PolicySettingsSchema.parse({
				enabled: true,
				provider: { id: 'openai-compatible', baseUrl: 'http://vllm.internal:8000/v1', allowPlainHttp: true },
			}),
			stamp,
		);
		assert.deepEqual(effectiveSettings(plain, member).warnings, [
			'Acme Corp set a plain-HTTP endpoint (vllm.internal:8000): your key and prompts cross the network unencrypted.',
		]);
		assert.deepEqual(effectiveSettings(enabled, member).warnings, []);
	});

	it("names a base URL of the member's own that no request could reach, and sends nothing to it", () => {
		for (const [baseUrl, said] of [
			['my-own.example/v1', 'must be an absolute URL, e.g. https://example.openai.azure.com'],
			['https://me:secret@my-own.example/v1', 'must not contain credentials (put them in a header or the member API key)'],
			['ftp://my-own.example', 'must use https:, not ftp:'],
		] as const) {
			const effective = effectiveSettings(undefined, { preset: 'custom', baseUrl, headers: {} });
			assert.equal(effective.provider, undefined, baseUrl);
			assert.deepEqual(effective.warnings, [`Your setting orgProviderPolicy.provider.baseUrl ${said}.`]);
			assert.doesNotMatch(effective.warnings[0]!, /secret/);
		}
		const header = effectiveSettings(undefined, { ...member, headers: { 'X-Key': 'sk-secret\r\nX-Injected: 1', 'Bad Name': 'x' } });
		assert.equal(header.provider, undefined);
		assert.deepEqual(header.warnings, [
			"Your setting orgProviderPolicy.provider.headers: X-Key: value contains a line break; Bad Name: header name must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~).",
		]);
		assert.doesNotMatch(header.warnings[0]!, /secret/, 'a value is never repeated');
		// A LAN endpoint the member chose over plain http is theirs to use (the policy's own rule needs an admin's opt-in).
		assert.equal(
			effectiveSettings(undefined, { preset: 'custom', baseUrl: 'http://192.168.1.5:8000/v1', headers: {} }).provider?.baseUrl,
			'http://192.168.1.5:8000/v1',
		);
	});

	it('an enabled policy wins over the member settings and locks the picker to the managed provider', () => {
		const effective = effectiveSettings(enabled, member);
		assert.equal(effective.locked, true);
		assert.equal(effective.source, 'policy');
		assert.equal(effective.provider?.baseUrl, 'https://acme.openai.azure.com');
		assert.deepEqual(effective.provider?.headers, { 'X-Tenant': 'acme', 'X-Cost-Center': '42' });
		assert.deepEqual(providerChoices(effective), [
			{ id: 'managed', label: 'OpenAI Compatible — managed by Acme Corp', detail: 'https://acme.openai.azure.com', locked: true },
		]);
		assert.match(managedSettingsMessage(effective), /Acme Corp manages the AI provider settings.*Contact ai-platform@acme\.example/);
	});

	it('a disabled policy, or none, leaves the member free among the presets, keeping their choice', () => {
		for (const policy of [disabled, undefined]) {
			const effective = effectiveSettings(policy, member);
			assert.equal(effective.locked, false);
			assert.equal(effective.source, 'member');
			assert.equal(effective.provider?.baseUrl, 'https://my-own.example/v1');
			assert.deepEqual(
				providerChoices(effective).map((choice) => choice.label),
				['OpenAI', 'OpenRouter', 'Ollama', 'LM Studio', 'OpenAI Compatible (any URL)'],
			);
		}
		assert.equal(
			effectiveSettings(undefined, { preset: 'ollama', baseUrl: undefined, headers: {} }).provider?.baseUrl,
			'http://localhost:11434/v1',
		);
		assert.equal(effectiveSettings(undefined, { preset: 'ollama', baseUrl: undefined, headers: {} }).provider?.apiKeyRequired, false);
		assert.equal(effectiveSettings(undefined, { preset: 'custom', baseUrl: undefined, headers: {} }).provider, undefined);
	});

	it('offers only the allowed models, preselecting the default', () => {
		assert.deepEqual(allowedModels(effectiveSettings(enabled, member).provider, ['other']), {
			models: ['gpt-4o', 'gpt-4o-mini'],
			preferred: 'gpt-4o',
		});
		assert.deepEqual(allowedModels(effectiveSettings(undefined, member).provider, ['a', 'b']), { models: ['a', 'b'], preferred: 'a' });
	});
});
