import * as z from 'zod';
import { PolicyDocumentSchema, PolicySettingsSchema } from './schema';

/**
 * The policy's JSON Schemas, generated from the zod schemas both programs validate with (never
 * written by hand): what an admin writes (`PUT /api/v1/admin/policy`, the console's settings) and the
 * signed document members receive. Editors validate and complete files against them. Rules a JSON
 * Schema cannot say (a default model among the allowed ones, a header colliding with the credential)
 * are checked by the service, with the same field names in its messages.
 */
export function policyJsonSchemas(base: string): Record<'policy-settings' | 'policy-document' | 'policy-file', Record<string, unknown>> {
	const of = (schema: z.ZodType, name: string, title: string) => ({
		...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
		$id: `${base}/${name}.json`,
		title,
	});
	const settings = of(PolicySettingsSchema, 'policy-settings', 'Org Provider Policy: the settings an admin writes');
	return {
		'policy-settings': settings,
		'policy-file': policyFileSchema(settings, `${base}/policy-file.json`),
		'policy-document': of(
			PolicyDocumentSchema,
			'policy-document',
			'Org Provider Policy: the policy document members receive (schema version 3)',
		),
	};
}

/** The kind a policy file names (`org-policy plan/apply -f`). */
export const POLICY_FILE_KIND = 'org-provider-policy/v1';

/**
 * The policy file: `kind` and the settings, where a header value may instead say where it is read
 * from (`{ fromEnv }` or `{ fromFile }`), so files hold no secret. Derived from the settings' schema.
 */
function policyFileSchema(settings: Record<string, unknown>, id: string): Record<string, unknown> {
	const {
		$schema,
		$id: _id,
		title: _title,
		...policy
	} = settings as { $schema: string; $id: string; title: string } & Record<string, unknown>;
	const reference = (name: string, description: string) => ({
		type: 'object',
		properties: { [name]: { type: 'string', minLength: 1, description } },
		required: [name],
		additionalProperties: false,
	});
	type Node = { properties?: Record<string, Node>; items?: Node; additionalProperties?: unknown };
	const withReferences = (headers: Node | undefined) => {
		if (headers) {
			headers.additionalProperties = {
				anyOf: [
					headers.additionalProperties ?? { type: 'string' },
					reference('fromEnv', 'The environment variable holding the value'),
					reference('fromFile', 'The file holding the value'),
				],
			};
		}
	};
	const properties = policy.properties as Record<string, Node>;
	withReferences(properties.provider?.properties?.headers);
	withReferences(properties.overlays?.items?.properties?.headers);
	return {
		$schema,
		$id: id,
		title: 'Org Provider Policy: a policy file (org-policy plan -f / apply -f)',
		type: 'object',
		properties: {
			kind: { const: POLICY_FILE_KIND },
			policy,
			groups: {
				description: "The console's groups, each with its members' e-mail addresses (absent: the file leaves groups alone)",
				type: 'object',
				additionalProperties: { type: 'array', items: { type: 'string', format: 'email' } },
			},
		},
		required: ['kind', 'policy'],
		additionalProperties: false,
	};
}
