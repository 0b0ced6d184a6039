import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import {
	DEVICE_CODE_GRANT,
	DeviceAuthorizationRequestSchema,
	DeviceAuthorizationSchema,
	OAuthErrorSchema,
	REFRESH_TOKEN_GRANT,
	RevocationRequestSchema,
	TOKEN_EXCHANGE_GRANT,
	TokenExchangeRequestSchema,
	TokenExchangeResponseSchema,
	TokenRequestSchema,
	TokenResponseSchema,
} from '../../policy';
import { OAuthError, type DeviceAuthorizations, type Tokens } from '../accounts';
import { RequestValidationError } from '../http/validation';
import type { OrganizationTokens } from '../org-tokens/organization-tokens';

export interface OAuthRouteOptions {
	readonly devices: Pick<DeviceAuthorizations, 'start' | 'poll'>;
	readonly tokens: Pick<Tokens, 'rotateRefreshToken' | 'revoke'>;
	readonly organizationTokens: Pick<OrganizationTokens, 'exchange'>;
	readonly publicUrl: () => string;
	/** Device authorization requests one client address may make per minute (they are anonymous). */
	readonly deviceAuthorizationsPerMinute: number;
}

const GRANTS = new Set([DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT]);
const GRANT_LIST = `${DEVICE_CODE_GRANT}, ${REFRESH_TOKEN_GRANT} or ${TOKEN_EXCHANGE_GRANT}`;
const TokenEndpointRequestSchema = z.discriminatedUnion('grant_type', [...TokenRequestSchema.options, TokenExchangeRequestSchema]);

/**
 * What a request that fails its schema is told, in OAuth's words (RFC 6749 §5.2): a grant this
 * service has none of is `unsupported_grant_type`; anything else missing or malformed is
 * `invalid_request`, said the way an OAuth client sends it (a form, not the JSON the generic
 * message would ask for).
 */
function oauthRefusalOf(error: RequestValidationError, body: unknown, tokenEndpoint: boolean): OAuthError {
	if (body === null || body === undefined) {
		return new OAuthError(
			'invalid_request',
			'the request has no body: send its parameters as a form (Content-Type: application/x-www-form-urlencoded)',
		);
	}
	// RFC 6749 §3.1 and §3.2: no parameter may be sent more than once (a form reads one twice as a list).
	const repeated = Object.entries(body).find(([, value]) => Array.isArray(value));
	if (repeated) {
		return new OAuthError('invalid_request', `${repeated[0]}: must be sent once`);
	}
	const grant = (body as { grant_type?: unknown }).grant_type;
	if (tokenEndpoint && grant === undefined) {
		return new OAuthError('invalid_request', `grant_type: is required (${GRANT_LIST})`);
	}
	if (tokenEndpoint && (typeof grant !== 'string' || !GRANTS.has(grant))) {
		return new OAuthError('unsupported_grant_type', `grant_type must be ${GRANT_LIST}`);
	}
	return new OAuthError('invalid_request', error.message);
}

/**
 * RFC 8628 device authorization, the RFC 6749 token endpoint (device code and refresh grants, and
 * RFC 8693 token exchange for organization tokens) and RFC 7009 revocation, under /oauth. Errors keep the OAuth shape `{ error, error_description }`.
 */
export const oauthRoutes: FastifyPluginAsyncZod<OAuthRouteOptions> = async (
	app,
	{ devices, tokens, organizationTokens, publicUrl, deviceAuthorizationsPerMinute },
) => {
	// RFC 6749 §4 and RFC 8628 §3.1: requests are form-encoded (JSON is read too).
	await app.register(formbody);
	// A body that cannot be read (not JSON, too large, of another type) or a rate limit is refused in OAuth's shape too.
	app.addHook('onRoute', (route) => {
		route.config = { ...route.config, oauthErrors: true };
	});
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
			throw oauthRefusalOf(error, request.body, request.url.endsWith('/token'));
		}
		throw error;
	});

	app.post(
		'/device_authorization',
		{
			config: { rateLimit: { max: deviceAuthorizationsPerMinute, timeWindow: '1 minute' } },
			schema: {
				summary: 'RFC 8628 device authorization request',
				security: [],
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
				summary: 'Token endpoint: device_code, refresh_token and token-exchange (organization token) grants',
				security: [],
				body: TokenEndpointRequestSchema,
				response: { 200: z.union([TokenResponseSchema, TokenExchangeResponseSchema]), 400: OAuthErrorSchema, 401: OAuthErrorSchema },
			},
		},
		async (request) => {
			const grant = request.body;
			switch (grant.grant_type) {
				case DEVICE_CODE_GRANT:
					return devices.poll(grant.device_code, grant.client_id);
				case REFRESH_TOKEN_GRANT:
					return tokens.rotateRefreshToken(grant.refresh_token, grant.client_id);
				case TOKEN_EXCHANGE_GRANT:
					return organizationTokens.exchange({ subjectToken: grant.subject_token, audience: grant.audience });
			}
		},
	);

	app.post(
		'/revoke',
		{
			schema: {
				summary: 'RFC 7009 token revocation',
				security: [],
				body: RevocationRequestSchema,
				response: { 200: z.object({}), 400: OAuthErrorSchema },
			},
		},
		async (request) => {
			await tokens.revoke(request.body.token);
			// RFC 7009 §2.2: the same answer whether or not the token was known.
			return {};
		},
	);
};
