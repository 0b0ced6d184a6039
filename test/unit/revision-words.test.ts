import assert from 'node:assert/strict';
import { PolicySettingsSchema, type PolicySettingsInput } from '../../src/policy';
import { diffSettings } from '../../src/server/policy/revision-diff';
import { describeChanges } from '../../src/server/policy/revision-words';

const settings = (models: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
	PolicySettingsSchema.parse({
		enabled: true,
		provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', headers: { 'X-Tenant': 'acme' }, models, ...extra },
	} as unknown as PolicySettingsInput);

describe("a revision's changes in people's words", () => {
	it('one model swapped for another is three lines, not fourteen: the list, the default, the new settings', () => {
		const before = settings({
			allowed: ['gpt-4o', 'o3'],
			default: 'o3',
			settings: { o3: { displayName: 'Reasoner', reasoning: true, contextWindow: 200_000, pinned: { reasoning_effort: 'high' } } },
		});
		const after = settings({
			allowed: ['gpt-4o', 'gpt-5.2-codex'],
			default: 'gpt-5.2-codex',
			settings: { 'gpt-5.2-codex': { api: 'responses', reasoning: true, pinned: { reasoning_effort: 'xhigh' } } },
		});
		assert.ok(diffSettings(before, after).length >= 8, 'the field diff the API keeps');
		assert.deepEqual(describeChanges(diffSettings(before, after)), [
			'Allowed models: gpt-4o, o3 → gpt-4o, gpt-5.2-codex',
			'Default model: o3 → gpt-5.2-codex',
			'Settings of gpt-5.2-codex: API responses, reasoning effort xhigh, reasoning model on',
		]);
	});

	it("uses the console's labels, keeps secret header values masked, and hides defaults the console fills in", () => {
		const before = settings({ allowed: ['gpt-4o'] });
		const after = settings(
			{ allowed: ['gpt-4o'], settings: { 'gpt-4o': { contextWindow: 64_000 } } },
			{ headers: { 'X-Tenant': 'acme-eu' }, azure: { apiVersion: 'preview' } },
		);
		assert.deepEqual(describeChanges(diffSettings(before, after)), [
			'Azure API Version: preview',
			'Header X-Tenant: •••••• → ••••••',
			'Settings of gpt-4o: context window 64000',
		]);
		assert.deepEqual(describeChanges(diffSettings(after, before)), [
			'Azure API Version: removed (was preview)',
			'Header X-Tenant: •••••• → ••••••',
			'Settings of gpt-4o: back to the defaults',
		]);
	});
});
