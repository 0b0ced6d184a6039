import * as z from 'zod';
import { PolicySigningKeySchema } from './signature';

/**
 * The sign-in wire both programs speak: RFC 8628 device authorization and the RFC 6749 token
 * endpoint, with the organization and its policy signing key added to every token response.
 */

/** The one public client: the VS Code extension. */
export const CLIENT_ID = 'vscode';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const REFRESH_TOKEN_GRANT = 'refresh_token';

export const DeviceAuthorizationRequestSchema = z.object({ client_id: z.string().optional(), scope: z.string().optional() });

export const DeviceAuthorizationSchema = z.object({
	device_code: z.string().min(1),
	user_code: z.string().min(1),
	verification_uri: z.url(),
	verification_uri_complete: z.url().optional(),
	expires_in: z.number().positive(),
	interval: z.number().positive().default(5),
});

export const TokenRequestSchema = z.discriminatedUnion('grant_type', [
	z.object({ grant_type: z.literal(DEVICE_CODE_GRANT), device_code: z.string().min(1), client_id: z.string().min(1) }),
	z.object({ grant_type: z.literal(REFRESH_TOKEN_GRANT), refresh_token: z.string().min(1), client_id: z.string().min(1) }),
]);

export const RoleSchema = z.enum(['admin', 'member']);

export const TokenResponseSchema = z.object({
	access_token: z.string().min(1),
	token_type: z.literal('Bearer'),
	expires_in: z.number().positive(),
	refresh_token: z.string().min(1),
	organization: z.object({ id: z.string(), name: z.string() }),
	user: z.object({ id: z.string(), email: z.string(), role: RoleSchema }),
	policy_signing_key: PolicySigningKeySchema,
});

/** RFC 6749 §5.2 / RFC 8628 §3.5 error body. */
export const OAuthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

export const RevocationRequestSchema = z.object({ token: z.string().min(1), token_type_hint: z.string().optional() });

export type TokenResponse = z.infer<typeof TokenResponseSchema>;
export type DeviceAuthorization = z.infer<typeof DeviceAuthorizationSchema>;
export type Role = z.infer<typeof RoleSchema>;
