import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OAuthError, type Accounts } from '../accounts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const TokenRequestSchema = z.discriminatedUnion('grant_type', [
	z.object({ grant_type: z.literal(DEVICE_GRANT), device_code: z.string().min(1), client_id: z.string().min(1) }),
	z.object({ grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1), client_id: z.string().min(1) }),
]);

/** RFC 8628 device authorization, RFC 6749 token endpoint (device code + refresh), RFC 7009 revocation. */
export function oauthRoutes(app: FastifyInstance, accounts: Accounts, publicUrl: () => string): void {
	app.post('/oauth/device_authorization', async (request, reply) => {
		const body = (request.body ?? {}) as Record<string, unknown>;
		const clientId = typeof body.client_id === 'string' ? body.client_id : '';
		const started = await accounts.startDeviceAuthorization(clientId);
		const verificationUri = `${publicUrl()}/device`;
		reply.header('cache-control', 'no-store');
		return {
			device_code: started.deviceCode,
			user_code: started.userCode,
			verification_uri: verificationUri,
			verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(started.userCode)}`,
			expires_in: started.expiresIn,
			interval: started.interval,
		};
	});

	app.post('/oauth/token', async (request, reply) => {
		reply.header('cache-control', 'no-store');
		const body = (request.body ?? {}) as Record<string, unknown>;
		if (body.grant_type !== DEVICE_GRANT && body.grant_type !== 'refresh_token') {
			throw new OAuthError('unsupported_grant_type', `grant_type must be ${DEVICE_GRANT} or refresh_token`);
		}
		const parsed = TokenRequestSchema.safeParse(body);
		if (!parsed.success) {
			throw new OAuthError('invalid_request', `missing ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
		}
		const grant = parsed.data;
		return grant.grant_type === DEVICE_GRANT ? accounts.pollDeviceCode(grant.device_code, grant.client_id) : accounts.refresh(grant.refresh_token);
	});

	app.post('/oauth/revoke', async (request, reply) => {
		const body = (request.body ?? {}) as Record<string, unknown>;
		if (typeof body.token !== 'string' || body.token === '') {
			throw new OAuthError('invalid_request', 'token is required');
		}
		await accounts.revoke(body.token);
		// RFC 7009 §2.2: the same answer whether or not the token was known.
		return reply.code(200).send({});
	});
}
