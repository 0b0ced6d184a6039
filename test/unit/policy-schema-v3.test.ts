import assert from 'node:assert/strict';
import {
	buildPolicyDocument,
	formatFieldError,
	parseWith,
	PolicyDocumentV1Schema,
	PolicyDocumentV2Schema,
	PolicySettingsSchema,
	projectable,
	projectDocument,
	requestParameters,
	type ModelSettings,
	type PolicySettingsInput,
} from '../../src/policy';
import { stamp } from '../support/policy-fixtures';

/** Schema version 3: the API per model, `store`, the efforts `none` and `xhigh`, and an effort set members pick from. */
const settingsWith = (models: Record<string, unknown>): PolicySettingsInput =>
	({
		enabled: true,
		provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', models },
	}) as PolicySettingsInput;

const errorsOf = (input: unknown): string[] => {
	const result = parseWith(PolicySettingsSchema, input);
	return result.ok ? [] : result.errors.map(formatFieldError);
};

describe('policy schema v3: the Responses API and reasoning efforts', () => {
	const mixed = settingsWith({
		allowed: ['gpt-5.2-codex', 'gpt-4o', 'o4-mini', 'gpt-5'],
		default: 'gpt-5.2-codex',
		settings: {
			'gpt-5.2-codex': { api: 'responses', reasoning: true, store: true, pinned: { reasoning_effort: 'xhigh' } },
			'gpt-5': { api: 'responses', reasoning: true, reasoningSummary: 'auto' },
			'o4-mini': { reasoning: true, reasoningEfforts: ['none', 'low', 'high'], forbidden: ['verbosity', 'seed'] },
			'gpt-4o': { api: 'chat-completions', pinned: { reasoning_effort: 'none', verbosity: 'low' } },
		},
	});
	const document = () => buildPolicyDocument(PolicySettingsSchema.parse(mixed), stamp);

	it('keeps the API, store and the new efforts in the newest version', () => {
		const settings = document().provider?.models?.settings;
		assert.equal(document().schemaVersion, 3);
		assert.equal(settings?.['gpt-5.2-codex']?.api, 'responses');
		assert.equal(settings?.['gpt-5.2-codex']?.store, true);
		assert.deepEqual(settings?.['o4-mini']?.reasoningEfforts, ['none', 'low', 'high']);
		assert.equal(settings?.['gpt-5']?.reasoningSummary, 'auto');
		assert.equal(settings?.['gpt-4o']?.pinned.verbosity, 'low');
	});

	it('projects to version 2 without the models only the Responses API serves, and with efforts version 2 knows', () => {
		const older = projectDocument(document(), 2);
		assert.equal(older.schemaVersion, 2);
		assert.ok(PolicyDocumentV2Schema.safeParse(older).success, 'a schema 2 member takes it');
		assert.deepEqual(older.provider?.models?.allowed, ['gpt-4o', 'o4-mini']);
		assert.equal(older.provider?.models?.default, undefined, 'the default was the codex model: members fall back to the first');
		assert.deepEqual(Object.keys(older.provider?.models?.settings ?? {}).sort(), ['gpt-4o', 'o4-mini']);
		assert.deepEqual(older.provider?.models?.settings?.['gpt-4o']?.pinned, { reasoning_effort: 'minimal' }, 'none → minimal, no verbosity');
		assert.deepEqual(older.provider?.models?.settings?.['o4-mini']?.forbidden, ['seed'], 'schema 2 cannot name verbosity');
		assert.equal(older.provider?.models?.settings?.['gpt-4o']?.api, undefined);
		assert.equal(older.provider?.models?.settings?.['o4-mini']?.reasoningEfforts, undefined);
		const first = projectDocument(document(), 1);
		assert.ok(PolicyDocumentV1Schema.safeParse(first).success);
		assert.deepEqual(first.provider?.models, { allowed: ['gpt-4o', 'o4-mini'] });
	});

	it('maps xhigh to high for older members', () => {
		const only = buildPolicyDocument(
			PolicySettingsSchema.parse(
				settingsWith({ allowed: ['o3'], settings: { o3: { reasoning: true, pinned: { reasoning_effort: 'xhigh' } } } }),
			),
			stamp,
		);
		assert.deepEqual(projectDocument(only, 2).provider?.models?.settings?.['o3']?.pinned, { reasoning_effort: 'high' });
	});

	it('does not project a policy whose every model needs the Responses API', () => {
		const codexOnly = buildPolicyDocument(
			PolicySettingsSchema.parse(settingsWith({ allowed: ['gpt-5.2-codex'], settings: { 'gpt-5.2-codex': { api: 'responses' } } })),
			stamp,
		);
		assert.equal(projectable(codexOnly, 3), true);
		assert.equal(projectable(codexOnly, 2), false);
		assert.equal(projectable(codexOnly, 1), false);
		assert.equal(projectable(document(), 2), true);
	});

	it('refuses bad values with the field named', () => {
		assert.deepEqual(errorsOf(settingsWith({ allowed: ['m'], settings: { m: { api: 'grpc' } } })), [
			'provider.models.settings.m.api: must be chat-completions or responses',
		]);
		assert.deepEqual(errorsOf(settingsWith({ allowed: ['m'], settings: { m: { pinned: { reasoning_effort: 'max' } } } })), [
			'provider.models.settings.m.pinned.reasoning_effort: must be none, minimal, low, medium, high or xhigh',
		]);
		assert.deepEqual(
			errorsOf(settingsWith({ allowed: ['m'], settings: { m: { reasoningEfforts: ['low'], pinned: { reasoning_effort: 'high' } } } })),
			['provider.models.settings.m.reasoningEfforts: pin one effort or allow a set members pick from, not both'],
		);
		assert.deepEqual(
			errorsOf(settingsWith({ allowed: ['m'], settings: { m: { api: 'responses', reasoning: true, reasoningSummary: 'full' } } })),
			['provider.models.settings.m.reasoningSummary: must be auto, concise or detailed'],
		);
		// Only the Responses API asks for a summary, and only a reasoning model has one to give.
		for (const settings of [{ reasoning: true }, { api: 'responses' }, { api: 'chat-completions', reasoning: true }]) {
			assert.deepEqual(errorsOf(settingsWith({ allowed: ['m'], settings: { m: { ...settings, reasoningSummary: 'auto' } } })), [
				'provider.models.settings.m.reasoningSummary: only a reasoning model called through the Responses API summarizes its reasoning',
			]);
		}
		assert.deepEqual(errorsOf(settingsWith({ allowed: ['m'], settings: { m: { pinned: { verbosity: 'terse' } } } })), [
			'provider.models.settings.m.pinned.verbosity: must be low, medium or high',
		]);
		assert.deepEqual(errorsOf(settingsWith({ allowed: ['m'], settings: { m: { store: 'yes' } } })), [
			'provider.models.settings.m.store: must be true or false, not the text "yes" (yes, no, on and off are text here: write true or false)',
		]);
	});

	it("honours a caller's effort only from the allowed set; asked for none of them, the set's first", () => {
		const settings = { reasoning: true, reasoningEfforts: ['low', 'high'], pinned: {}, forbidden: [] } as unknown as ModelSettings;
		assert.equal(requestParameters(settings, { reasoning_effort: 'high' })['reasoning_effort'], 'high');
		assert.equal(requestParameters(settings, { reasoning_effort: 'xhigh' })['reasoning_effort'], 'low');
		assert.equal(requestParameters(settings, {})['reasoning_effort'], 'low', "not the model's own default, which may be outside the set");
		const forbidden = { ...settings, forbidden: ['reasoning_effort'] } as unknown as ModelSettings;
		assert.equal(requestParameters(forbidden, {})['reasoning_effort'], undefined, 'a forbidden parameter stays out');
		const notReasoning = { ...settings, reasoning: false } as unknown as ModelSettings;
		assert.equal(requestParameters(notReasoning, {})['reasoning_effort'], undefined, 'not added where the model may refuse it');
		assert.equal(requestParameters(notReasoning, { reasoning_effort: 'xhigh' })['reasoning_effort'], undefined);
		assert.equal(requestParameters(undefined, { reasoning_effort: 'xhigh' })['reasoning_effort'], 'xhigh', 'no settings: as asked');
	});
});
