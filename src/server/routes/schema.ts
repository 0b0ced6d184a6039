import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { policyJsonSchemas } from '../../policy/json-schema';
import { ErrorSchema } from '../http/schemas';

/** The policy's JSON Schemas under /api/v1/schema (public: a schema holds no secret), for editors and pipelines. */
export const schemaRoutes: FastifyPluginAsyncZod<{ publicUrl: () => string }> = async (app, { publicUrl }) => {
	let schemas: ReturnType<typeof policyJsonSchemas> | undefined;
	app.get(
		'/:name',
		{
			schema: {
				security: [],
				summary: 'JSON Schema of the settings an admin writes, of the signed document, or of a policy file (org-policy plan/apply)',
				params: z.object({
					name: z.enum(
						['policy-settings.json', 'policy-document.json', 'policy-file.json'],
						'must be policy-settings.json, policy-document.json or policy-file.json',
					),
				}),
				response: { 200: z.record(z.string(), z.unknown()), 400: ErrorSchema },
			},
		},
		async (request, reply) => {
			// Generated once, on first use: the service's start does not pay for it.
			schemas ??= policyJsonSchemas(`${publicUrl()}/api/v1/schema`);
			const name = request.params.name.replace(/\.json$/, '') as keyof typeof schemas;
			return reply
				.header('content-type', 'application/schema+json; charset=utf-8')
				.header('cache-control', 'public, max-age=3600')
				.send(schemas[name]);
		},
	);
};
