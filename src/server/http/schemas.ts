import type { FastifyReply } from 'fastify';
import * as z from 'zod';
import { PolicyDocumentSchema, PolicySettingsSchema, PolicySigningKeySchema, SignedPolicySchema, TokenResponseSchema } from '../../policy';

/** The one error body of every JSON endpoint outside /oauth. */
export const ErrorSchema = z
	.object({
		error: z.string(),
		message: z.string(),
		fieldErrors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
	})
	.loose();

/**
 * The signed policy as served: stored bytes sent as they are (re-encoding per read would cost
 * every member's poll), so the schema documents the body without serializing it.
 */
export const signedPolicyResponse = {
	description: 'The signed policy; ETag is the revision',
	content: { 'application/json': { schema: SignedPolicySchema } },
};

/** Sends stored JSON as it is: fastify passes a string with a JSON content type through unserialized. */
export function sendStoredJson(reply: FastifyReply, json: string): FastifyReply {
	return reply.type('application/json; charset=utf-8').send(json);
}

/** The schemas the OpenAPI document names under components.schemas (and routes reference). */
export const apiSchemaRegistry = z.registry<{ id: string }>();
for (const [id, schema] of Object.entries({
	PolicySettings: PolicySettingsSchema,
	PolicyDocument: PolicyDocumentSchema,
	SignedPolicy: SignedPolicySchema,
	PolicySigningKey: PolicySigningKeySchema,
	TokenResponse: TokenResponseSchema,
	Error: ErrorSchema,
})) {
	apiSchemaRegistry.add(schema, { id });
}

/** 304 Not Modified carries no body, and so no content type or length (a client would wait for them). */
export function sendNotModified(reply: FastifyReply): FastifyReply {
	return reply.code(304).send();
}
