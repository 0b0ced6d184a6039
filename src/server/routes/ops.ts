import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PolicyDocumentSchema, PolicySettingsSchema, PolicySigningKeySchema } from '../../policy';
import type { ServiceMetrics } from '../metrics';
import type { Store } from '../store/store';

const ErrorSchema = z.object({
	error: z.string(),
	message: z.string(),
	fieldErrors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** The OpenAPI 3.1 description, its schemas generated from the same zod schemas the service validates with. */
export function openApiDocument(publicUrl: string) {
	const schema = (type: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(type, { target: 'draft-2020-12', io, unrepresentable: 'any' });
	const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
	const error = (description: string) => ({ description, content: json('Error') });
	const bearer = [{ bearerAuth: [] }];
	return {
		openapi: '3.1.0',
		info: { title: 'Org Provider Policy service', version: '1.0.0' },
		servers: [{ url: publicUrl }],
		components: {
			securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
			schemas: {
				PolicySettings: schema(PolicySettingsSchema, 'input'),
				PolicyDocument: schema(PolicyDocumentSchema),
				SignedPolicy: {
					type: 'object',
					required: ['policy', 'signature'],
					properties: {
						policy: { $ref: '#/components/schemas/PolicyDocument' },
						signature: { type: 'object', properties: { alg: { const: 'Ed25519' }, keyId: { type: 'string' }, value: { type: 'string' } } },
					},
				},
				PolicySigningKey: schema(PolicySigningKeySchema),
				Error: schema(ErrorSchema),
			},
		},
		paths: {
			'/api/v1/policy': {
				get: {
					summary: "The member's organization policy, signed",
					security: bearer,
					parameters: [{ name: 'If-None-Match', in: 'header', schema: { type: 'string' } }],
					responses: { '200': { description: 'The signed policy; ETag is the revision', content: json('SignedPolicy') }, '304': { description: 'Unchanged' }, '401': error('Not signed in') },
				},
			},
			'/api/v1/policy/events': {
				get: {
					summary: 'Server-Sent Events: the current signed policy, then every new revision (id = revision)',
					security: bearer,
					parameters: [{ name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
					responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
				},
			},
			'/api/v1/policy/applied': {
				post: {
					summary: 'Report the revision this member applied',
					security: bearer,
					requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['revision'], properties: { revision: { type: 'integer', minimum: 1 } } } } } },
					responses: { '204': { description: 'Recorded' } },
				},
			},
			'/api/v1/admin/policy': {
				put: {
					summary: 'Save a new policy revision',
					security: bearer,
					parameters: [{ name: 'If-Match', in: 'header', required: true, schema: { type: 'string' }, description: 'The quoted revision edited, or *' }],
					requestBody: { required: true, content: json('PolicySettings') },
					responses: {
						'200': { description: 'Saved', content: json('SignedPolicy') },
						'400': error('Invalid policy, with field errors'),
						'412': error('Stale revision'),
						'428': error('If-Match missing'),
					},
				},
			},
			'/api/v1/admin/policy/revisions': { get: { summary: 'Revision history with field diffs', security: bearer, responses: { '200': { description: 'Revisions, newest first' } } } },
			'/api/v1/admin/members': {
				get: { summary: 'Members and their sync state', security: bearer, responses: { '200': { description: 'Members' } } },
				post: { summary: 'Add a member (with a password) or invite one', security: bearer, responses: { '201': { description: 'Created' } } },
			},
			'/api/v1/admin/members/{id}': {
				delete: {
					summary: "Remove a member and revoke their tokens",
					security: bearer,
					parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
					responses: { '204': { description: 'Removed' } },
				},
			},
			'/api/v1/admin/tokens': { post: { summary: 'Create an admin API token', security: bearer, responses: { '201': { description: 'The token, shown once' } } } },
			'/oauth/device_authorization': { post: { summary: 'RFC 8628 device authorization request', responses: { '200': { description: 'Device and user codes' } } } },
			'/oauth/token': { post: { summary: 'Token endpoint: device_code and refresh_token grants', responses: { '200': { description: 'Tokens' }, '400': { description: 'OAuth error' } } } },
			'/oauth/revoke': { post: { summary: 'RFC 7009 token revocation', responses: { '200': { description: 'Revoked' } } } },
		},
	};
}

export function opsRoutes(app: FastifyInstance, deps: { store: Store; metrics: ServiceMetrics; publicUrl: () => string; isClosing: () => boolean }): void {
	app.get('/healthz', async () => ({ status: 'ok' }));
	app.get('/readyz', async (_request, reply) => {
		if (deps.isClosing()) {
			return reply.code(503).send({ status: 'closing' });
		}
		await deps.store.ping();
		return { status: 'ready', store: deps.store.kind };
	});
	app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
	app.get('/api/v1/openapi.json', async () => openApiDocument(deps.publicUrl()));
}
