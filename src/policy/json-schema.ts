import { z } from 'zod';
import { PolicyDocumentSchema, PolicySettingsSchema } from './schema';

/**
 * The policy's JSON Schemas, generated from the zod schemas both programs validate with (never
 * written by hand): what an admin writes (`PUT /api/v1/admin/policy`, the console's settings) and the
 * signed document members receive. Editors validate and complete files against them. Rules a JSON
 * Schema cannot say (a default model among the allowed ones, a header colliding with the credential)
 * are checked by the service, with the same field names in its messages.
 */
export function policyJsonSchemas(base: string): Record<'policy-settings' | 'policy-document', Record<string, unknown>> {
	const of = (schema: z.ZodType, name: string, title: string) => ({
		...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
		$id: `${base}/${name}.json`,
		title,
	});
	return {
		'policy-settings': of(PolicySettingsSchema, 'policy-settings', 'Org Provider Policy: the settings an admin writes'),
		'policy-document': of(
			PolicyDocumentSchema,
			'policy-document',
			'Org Provider Policy: the policy document members receive (schema version 3)',
		),
	};
}
