import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
	DEVICE_CODE_GRANT,
	DeviceAuthorizationRequestSchema,
	DeviceAuthorizationSchema,
	OAuthErrorSchema,
	REFRESH_TOKEN_GRANT,
	RevocationRequestSchema,
	TokenRequestSchema,
	TokenResponseSchema,
} from '../../policy';
import { OAuthError, type DeviceAuthorizations, type Tokens } from '../accounts';
import { RequestValidationError } from '../http/validation';

export interface OAuthRouteOptions {
	readonly devices: Pick<DeviceAuthorizations, 'start' | 'poll'>;
	readonly tokens: Pick<Tokens, 'rotateRefreshToken' | 'revoke'>;
	readonly publicUrl: () => string;
	/** Device authorization requests one client address may make per minute (they are anonymous). */
	readonly deviceAuthorizationsPerMinute: number;
}

const GRANTS = new Set([DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT]);

/**
 * RFC 8628 device authorization, the RFC 6749 token endpoint (device code and refresh grants) and
 * RFC 7009 revocation, under /oauth. Errors keep the OAuth shape `{ error, error_description }`.
 */
export const oauthRoutes: FastifyPluginAsyncZod<OAuthRouteOptions> = async (
	app,
	{ devices, tokens, publicUrl, deviceAuthorizationsPerMinute },
) => {
	// Token responses must never be cached (RFC 6749 §5.1), errors included.
	app.addHook('onRequest', async (_request, reply) => {
		reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
	});
	app.setErrorHandler((error, request, reply) => {
		if (error instanceof OAuthError && error.code === 'invalid_client' && /^Basic\s/i.test(request.headers.authorization ?? '')) {
			// RFC 6749 §5.2: a client that tried HTTP Basic authentication is told how to authenticate.
			reply.header('www-authenticate', 'Basic realm="org-policy"');
		}
		if (error instanceof RequestValidationError) {
			const grant = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
			const oauth =
				request.url.endsWith('/token') && typeof grant === 'string' && !GRANTS.has(grant)
					? new OAuthError('unsupported_grant_type', `grant_type must be ${DEVICE_CODE_GRANT} or ${REFRESH_TOKEN_GRANT}`)
					: new OAuthError('invalid_request', error.message);
			throw oauth;
		}
		throw error;
	});

	app.post(
		'/device_authorization',
		{
			config: { rateLimit: { max: deviceAuthorizationsPerMinute, timeWindow: '1 minute' } },
			schema: {
				summary: 'RFC 8628 device authorization request',
				body: DeviceAuthorizationRequestSchema,
				response: { 200: DeviceAuthorizationSchema, 401: OAuthErrorSchema },
			},
		},
		async (request) => {
			const started = await devices.start(request.body.client_id ?? '');
			const verificationUri = `${publicUrl()}/device`;
			return {
				device_code: started.deviceCode,
				user_code: started.userCode,
				verification_uri: verificationUri,
				verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(started.userCode)}`,
				expires_in: started.expiresIn,
				interval: started.interval,
			};
		},
	);

	app.post(
		'/token',
		{
			schema: {
				summary: 'Token endpoint: device_code and refresh_token grants',
				body: TokenRequestSchema,
				response: { 200: TokenResponseSchema, 400: OAuthErrorSchema },
			},
		},
		async (request) => {
			const grant = request.body;
			return grant.grant_type === DEVICE_CODE_GRANT
				? devices.poll(grant.device_code, grant.client_id)
				: tokens.rotateRefreshToken(grant.refresh_token, grant.client_id);
		},
	);

	app.post(
		'/revoke',
		{ schema: { summary: 'RFC 7009 token revocation', body: RevocationRequestSchema, response: { 200: z.object({}) } } },
		async (request) => {
			await tokens.revoke(request.body.token);
			// RFC 7009 §2.2: the same answer whether or not the token was known.
			return {};
		},
	);
};
