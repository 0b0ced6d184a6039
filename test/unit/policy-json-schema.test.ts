import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { PolicySettingsSchema } from '../../src/policy';
import { policyJsonSchemas } from '../../src/policy/json-schema';

/**
 * The published JSON Schema never refuses what the service accepts: for settings generated at
 * random (valid and invalid values of every field), whatever the zod schema takes, the JSON Schema
 * takes too. (The zod schema also checks what JSON Schema cannot say — cross-field rules — so the
 * converse does not hold, and the service names those fields when it refuses.)
 */
describe('the policy JSON Schema against the zod schema (property)', () => {
	const validate = new Ajv2020({ strict: false }).compile(policyJsonSchemas('https://x.example/api/v1/schema')['policy-settings']);
	const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });
	const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
	const model = fc.constantFrom('gpt-4o', 'o3', 'gpt-5.2-codex');
	const settings = fc.record(
		{
			enabled: fc.oneof(fc.boolean(), anyValue),
			adminContact: maybe(fc.oneof(fc.constantFrom('ai@acme.example', ''), anyValue)),
			usage: maybe(
				fc.record({
					reporting: fc.oneof(fc.constantFrom('off', 'counts'), anyValue),
					budget: maybe(
						fc.record({
							monthlyTokens: fc.oneof(fc.integer({ min: -5, max: 10_000 }), anyValue),
							enforcement: fc.constantFrom('soft', 'hard', 'never'),
						}),
					),
				}),
			),
			provider: maybe(
				fc.record(
					{
						id: fc.oneof(fc.constant('openai-compatible'), anyValue),
						baseUrl: fc.oneof(
							fc.constantFrom('https://ai.acme.example/v1', 'http://127.0.0.1:8000/v1', 'http://ai.acme.example/v1', 'not a url'),
							anyValue,
						),
						headers: maybe(
							fc.dictionary(
								fc.constantFrom('X-Tenant', 'Host', 'x y', 'Authorization'),
								fc.oneof(fc.constantFrom('acme', 'line\nbreak'), anyValue),
							),
						),
						apiKeyRequired: maybe(fc.oneof(fc.boolean(), anyValue)),
						azure: maybe(
							fc.record({ apiVersion: maybe(fc.constantFrom('2024-10-21', 'preview', 'yesterday')), identityAuth: maybe(fc.boolean()) }),
						),
						models: maybe(
							fc.record({
								allowed: fc.array(model, { maxLength: 3 }),
								default: maybe(model),
								settings: maybe(
									fc.dictionary(
										model,
										fc.record({
											contextWindow: maybe(fc.integer({ min: -1, max: 300_000 })),
											api: maybe(fc.constantFrom('chat-completions', 'responses', 'grpc')),
										}),
									),
								),
							}),
						),
					},
					{ requiredKeys: ['id', 'baseUrl'] },
				),
			),
		},
		{ requiredKeys: ['enabled'] },
	);

	it('takes everything the service takes', () => {
		let accepted = 0;
		fc.assert(
			fc.property(settings, (candidate) => {
				const value = JSON.parse(JSON.stringify(candidate)) as unknown;
				if (PolicySettingsSchema.safeParse(value).success) {
					accepted++;
					assert.equal(validate(value), true, `${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`);
				}
			}),
			{ numRuns: 1000, seed: 20261202 },
		);
		assert.ok(accepted > 20, `the generator reaches valid settings too (${accepted} of 1000)`);
	});
});
