import { CLIENT_ID } from '../../policy';

/**
 * What the account domain refuses, in its own words. The HTTP layer alone decides which status
 * code each one becomes (`src/server/http/errors.ts`).
 */
export type DomainErrorCode =
	| 'already_member'
	| 'not_found'
	| 'last_admin'
	| 'invalid_invitation'
	| 'expired_invitation'
	| 'weak_password'
	| 'role_from_sso'
	| 'invalid_reset'
	| 'expired_reset'
	| 'password_sign_in_off'
	| 'deactivated';

export class DomainError extends Error {
	override readonly name = 'DomainError';
	constructor(
		readonly code: DomainErrorCode,
		message: string,
	) {
		super(message);
	}
}

/** The error codes of RFC 6749 §5.2, RFC 8628 §3.5 and RFC 8693 §2.2.2 that the token endpoints answer with. */
export type OAuthErrorCode =
	| 'invalid_request'
	| 'invalid_client'
	| 'invalid_grant'
	| 'unsupported_grant_type'
	| 'authorization_pending'
	| 'slow_down'
	| 'access_denied'
	| 'expired_token'
	| 'invalid_target';

export class OAuthError extends Error {
	override readonly name = 'OAuthError';
	constructor(
		readonly code: OAuthErrorCode,
		message: string,
	) {
		super(message);
	}
}

/**
 * RFC 6749 §5.2: a client the service does not know is `invalid_client` (401) at every endpoint it
 * names itself at, before any code or token it brings is looked at. The one client is VS Code.
 */
export function requireKnownClient(clientId: string): void {
	if (clientId !== CLIENT_ID) {
		throw new OAuthError('invalid_client', `unknown client_id; the VS Code extension uses "${CLIENT_ID}"`);
	}
}
