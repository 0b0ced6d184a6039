import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT } from '../../policy';
import type { AuditLog } from '../audit';
import { actorOf, principalOf, requireRole, type Authenticators } from '../http/auth';
import { ErrorSchema } from '../http/schemas';
import { TOKEN_ALGORITHM, type OrganizationTokenKeys } from '../org-tokens/token-keys';

const JwkSchema = z.looseObject({ kty: z.string(), kid: z.string() });

/** RFC 8414 §2: what standard clients and gateways read to configure themselves from the issuer URL alone. */
export const AuthorizationServerMetadataSchema = z.object({
	issuer: z.string(),
	device_authorization_endpoint: z.string(),
	token_endpoint: z.string(),
	revocation_endpoint: z.string(),
	jwks_uri: z.string(),
	response_types_supported: z.array(z.string()),
	grant_types_supported: z.array(z.string()),
	token_endpoint_auth_methods_supported: z.array(z.string()),
	revocation_endpoint_auth_methods_supported: z.array(z.string()),
	service_documentation: z.string().optional(),
});

/** The issuer's discovery document and key set, at the well-known paths (public: they hold no secret). */
export const wellKnownRoutes: FastifyPluginAsyncZod<{ publicUrl: () => string; keys: OrganizationTokenKeys }> = async (
	app,
	{ publicUrl, keys },
) => {
	app.get(
		'/.well-known/oauth-authorization-server',
		{ schema: { summary: 'RFC 8414 authorization server metadata', security: [], response: { 200: AuthorizationServerMetadataSchema } } },
		async (_request, reply) => {
			const issuer = publicUrl();
			reply.header('cache-control', 'public, max-age=3600');
			return {
				issuer,
				device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
				token_endpoint: `${issuer}/oauth/token`,
				revocation_endpoint: `${issuer}/oauth/revoke`,
				jwks_uri: `${issuer}/.well-known/jwks.json`,
				// There is no authorization endpoint (members sign in with the device flow), so no response type.
				response_types_supported: [],
				grant_types_supported: [DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT],
				token_endpoint_auth_methods_supported: ['none'],
				revocation_endpoint_auth_methods_supported: ['none'],
			};
		},
	);

	app.get(
		'/.well-known/jwks.json',
		{
			schema: {
				security: [],
				summary: 'RFC 7517 key set that verifies organization tokens (the signing key and retired keys whose tokens still live)',
				response: { 200: z.object({ keys: z.array(JwkSchema) }) },
			},
		},
		async (_request, reply) => {
			// Short, so a gateway that does not refetch on an unknown key id still learns a new key soon.
			reply.header('cache-control', 'public, max-age=60');
			return keys.jwks();
		},
	);
};

const TokenKeySchema = z.object({
	kid: z.string(),
	algorithm: z.literal(TOKEN_ALGORITHM),
	createdAt: z.iso.datetime(),
	activatesAt: z.iso.datetime().describe('When it starts signing; it is published from its creation'),
	retiredAt: z.iso.datetime().nullable(),
	publishedUntil: z.iso.datetime().describe('A retired key stays in the JWKS until the last token it signed expires'),
	publicKeyPem: z.string().describe("The public key as PEM, for gateways that take a key rather than a key set (Kong's jwt plugin)"),
});

/** Gateways cache key sets (mod_auth_openidc for 5 minutes at least, others longer): a new key is published this long before it signs. */
export const DEFAULT_ACTIVATE_IN_MINUTES = 15;

/** The organization token keys under /api/v1/admin/token-keys: listed, rotated. */
export const adminTokenKeyRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	keys: OrganizationTokenKeys;
	audit: Pick<AuditLog, 'record'>;
	publicUrl: () => string;
}> = async (app, { auth, keys, audit, publicUrl }) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));
	const bearer = [{ bearerAuth: [] }];
	const iso = (at: number) => new Date(at).toISOString();
	const view = (key: Awaited<ReturnType<OrganizationTokenKeys['list']>>[number]) => ({
		kid: key.kid,
		algorithm: TOKEN_ALGORITHM,
		createdAt: iso(key.createdAt),
		activatesAt: iso(key.activatesAt),
		retiredAt: key.retiredAt === null ? null : iso(key.retiredAt),
		publishedUntil: iso(Math.max(key.publishedUntil, key.createdAt)),
		publicKeyPem: key.publicKeyPem,
	});
	const ListSchema = z.object({ issuer: z.string(), jwksUri: z.string(), keys: z.array(TokenKeySchema) });

	app.get(
		'/token-keys',
		{ schema: { summary: 'Organization token signing keys', security: bearer, response: { 200: ListSchema } } },
		async () => ({
			issuer: publicUrl(),
			jwksUri: `${publicUrl()}/.well-known/jwks.json`,
			keys: (await keys.list()).map(view),
		}),
	);

	app.post(
		'/token-keys/rotate',
		{
			schema: {
				summary:
					'Make a new signing key: published at once, signing after activateInMinutes (0: at once, e.g. after a leak); the key it replaces stays published while its tokens live',
				security: bearer,
				body: z
					.strictObject({
						activateInMinutes: z
							.int('must be a whole number of minutes')
							.min(0, 'must be 0 or more')
							.max(24 * 60, 'must be at most 1440 (a day)')
							.optional(),
					})
					// No body at all takes the default too (fastify hands a missing body over as null).
					.nullish(),
				response: { 200: ListSchema, 400: ErrorSchema },
			},
		},
		async (request) => {
			const principal = principalOf(request);
			const activateInMinutes = request.body?.activateInMinutes ?? DEFAULT_ACTIVATE_IN_MINUTES;
			const key = await keys.rotate(activateInMinutes * 60_000);
			await audit.record(principal.user.orgId, actorOf(principal), 'token_key.rotated', 'ok', { kid: key.kid, activateInMinutes });
			return { issuer: publicUrl(), jwksUri: `${publicUrl()}/.well-known/jwks.json`, keys: (await keys.list()).map(view) };
		},
	);
};
