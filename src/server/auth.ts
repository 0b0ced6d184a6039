import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts, Principal } from './accounts';
import { HttpError } from './http-error';
import type { Role } from './store/store';

export const SESSION_COOKIE = 'opp_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
	interface FastifyRequest {
		principal?: Principal;
	}
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: a bearer token (members' VS Code, admin automation) or a console session
 * cookie, which must bring its CSRF token on every unsafe request.
 */
export async function identify(accounts: Accounts, request: FastifyRequest): Promise<Principal | undefined> {
	const header = request.headers.authorization;
	if (header !== undefined) {
		const match = /^Bearer\s+(\S+)$/i.exec(header);
		return match ? accounts.resolveBearer(match[1]!) : undefined;
	}
	const cookie = request.cookies[SESSION_COOKIE];
	if (!cookie) {
		return undefined;
	}
	const principal = await accounts.resolveSession(cookie);
	if (principal && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== principal.token.csrfToken) {
		throw new HttpError(403, 'csrf', 'missing or wrong CSRF token; reload the page');
	}
	return principal;
}

export function requireRole(accounts: Accounts, ...roles: Role[]) {
	return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
		const principal = await identify(accounts, request);
		if (!principal) {
			reply.header('www-authenticate', 'Bearer realm="org-policy"');
			throw new HttpError(401, 'unauthorized', 'sign in first: the access token is missing, expired or revoked');
		}
		if (roles.length > 0 && !roles.includes(principal.user.role)) {
			throw new HttpError(403, 'forbidden', `this needs the ${roles.join(' or ')} role`);
		}
		request.principal = principal;
	};
}

export function principalOf(request: FastifyRequest): Principal {
	if (!request.principal) {
		throw new Error('route used without an authentication pre-handler');
	}
	return request.principal;
}
