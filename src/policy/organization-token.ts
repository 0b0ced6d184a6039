import * as z from 'zod';

import { headerNameProblem } from './http-rules';
import { CONTROL_CHARACTERS, LIMITS } from './limits';

/**
 * Organization tokens: short-lived JSON Web Tokens the policy service issues to each signed-in
 * member, so the endpoint (or the gateway in front of it) checks the member without a pasted key.
 * The extension obtains one by RFC 8693 token exchange of its own access token at the token endpoint.
 */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** The token is sent as `Authorization: Bearer <token>` unless the policy names another header. */
export const AUTHORIZATION_HEADER = 'Authorization';
export const DEFAULT_TOKEN_LIFETIME_MINUTES = 15;
export const MAX_TOKEN_LIFETIME_MINUTES = 24 * 60;

export const OrganizationTokenSettingsSchema = z.strictObject({
	/** The `aud` claim: what the gateway is configured to expect (its URL or an identifier). */
	audience: z
		.string('must be a string')
		.min(1, 'must not be empty')
		.max(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`)
		.refine(
			(value) => !CONTROL_CHARACTERS.test(value) && value.trim() === value,
			'must not contain control characters or surrounding spaces',
		),
	lifetimeMinutes: z
		.int('must be a whole number of minutes')
		.min(1, 'must be at least 1 minute')
		.max(MAX_TOKEN_LIFETIME_MINUTES, `must be at most ${MAX_TOKEN_LIFETIME_MINUTES} minutes (a day)`)
		.default(DEFAULT_TOKEN_LIFETIME_MINUTES),
	/** `Authorization` sends `Bearer <token>`; any other header carries the bare token. */
	header: z
		.string('must be a header name')
		.superRefine((name, ctx) => {
			const problem = headerNameProblem(name);
			if (problem) {
				ctx.addIssue({ code: 'custom', message: problem });
			}
		})
		.default(AUTHORIZATION_HEADER),
});

export type OrganizationTokenSettings = z.infer<typeof OrganizationTokenSettingsSchema>;

export const TokenExchangeRequestSchema = z.object({
	grant_type: z.literal(TOKEN_EXCHANGE_GRANT),
	subject_token: z.string().min(1),
	subject_token_type: z.literal(ACCESS_TOKEN_TYPE, `subject_token_type must be ${ACCESS_TOKEN_TYPE}`),
	requested_token_type: z.literal(JWT_TOKEN_TYPE, `requested_token_type must be ${JWT_TOKEN_TYPE}`).optional(),
	audience: z.string().optional(),
	client_id: z.string().optional(),
});

/** RFC 8693 §2.2.1: the issued token. */
export const TokenExchangeResponseSchema = z.object({
	access_token: z.string().min(1),
	issued_token_type: z.literal(JWT_TOKEN_TYPE),
	token_type: z.literal('Bearer'),
	expires_in: z.number().positive(),
});
export type TokenExchangeResponse = z.infer<typeof TokenExchangeResponseSchema>;

/** The claims of an organization token (beyond the registered ones), as gateways read them. */
export interface OrganizationTokenClaims {
	iss: string;
	sub: string;
	aud: string;
	email: string;
	groups: string[];
	/** The models the member may use: a gateway may route or refuse by it. */
	models: string[];
	org: string;
}
