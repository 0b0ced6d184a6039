import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminApiTokenId, isVsCodeSignIn, type ConsoleSessions, type Principal, type Tokens } from '../accounts';
import { apiTokenActor } from '../audit';
import type { Role } from '../store/store';
import { HttpError } from './http-error';

/**
 * The console session cookie's name: `__Host-` where the service is on https, so no other host can
 * set it and it is sent only to this origin's whole path (plain-http development has no such prefix).
 */
export function sessionCookieName(secure: boolean): string {
	return secure ? '__Host-opp_session' : 'opp_session';
}
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
	interface FastifyRequest {
		principal?: Principal;
	}
}

/** What resolves a caller: bearer tokens and console session cookies. */
export interface Authenticators {
	readonly tokens: Pick<Tokens, 'resolveBearer'>;
	readonly sessions: Pick<ConsoleSessions, 'resolve'>;
	/** See {@link sessionCookieName}. */
	readonly sessionCookie: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Who is calling: a bearer token (members' VS Code, admin automation) or a console session
 * cookie, which must bring its CSRF token on every unsafe request. A bearer token resolved moments
 * ago is answered without a promise (see {@link Tokens.resolveBearer}).
 */
export function identify(auth: Authenticators, request: FastifyRequest): Principal | undefined | Promise<Principal | undefined> {
	const header = request.headers.authorization;
	if (header !== undefined) {
		const token = bearerTokenOf(header);
		return token === undefined ? undefined : auth.tokens.resolveBearer(token);
	}
	return identifyBySession(auth, request);
}

/** The token of an `Authorization: Bearer …` header; undefined for any other header or none. */
export function bearerTokenOf(header: string | undefined): string | undefined {
	return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

async function identifyBySession(auth: Authenticators, request: FastifyRequest): Promise<Principal | undefined> {
	const cookie = sessionCookieOf(request, auth.sessionCookie);
	if (!cookie) {
		return undefined;
	}
	const principal = await auth.sessions.resolve(cookie);
	if (principal && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== principal.token.csrfToken) {
		throw new HttpError(403, 'csrf', 'missing or wrong CSRF token; reload the page');
	}
	return principal;
}

/**
 * The console session cookie: parsed by @fastify/cookie on the console's own routes, and from the
 * header here on the API's (the admin API is called by the console's pages with it), where the
 * plugin's hooks are not registered so members' bearer-token reads do not pay for them.
 */
function sessionCookieOf(request: FastifyRequest, name: string): string | undefined {
	if (request.cookies) {
		return request.cookies[name];
	}
	const header = request.headers.cookie;
	return header ? fastifyCookie.parse(header)[name] : undefined;
}

/** The caller, when signed in with one of `roles` (any role when none are given); otherwise an HttpError (401 with its challenge, or 403). */
function admitted(reply: FastifyReply, principal: Principal | undefined, roles: readonly Role[]): Principal {
	if (!principal) {
		reply.header('www-authenticate', 'Bearer realm="org-policy"');
		throw new HttpError(401, 'unauthorized', 'sign in first: the access token is missing, expired or revoked');
	}
	if (roles.length > 0 && !roles.includes(principal.user.role)) {
		throw new HttpError(403, 'forbidden', `this needs the ${roles.join(' or ')} role`);
	}
	return principal;
}

/**
 * An `onRequest` hook that admits only a signed-in caller (with one of the roles, when given), before
 * any body is read: a stranger is refused without the service parsing what they sent. A
 * callback hook, not an async one: a caller resolved moments ago goes on without a promise.
 */
export function requireRole(auth: Authenticators, ...roles: Role[]) {
	return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
		const admit = (principal: Principal | undefined): void => {
			try {
				request.principal = admitted(reply, principal, roles);
			} catch (error) {
				return done(error as Error);
			}
			done();
		};
		let identified: ReturnType<typeof identify>;
		try {
			identified = identify(auth, request);
		} catch (error) {
			return done(error as Error);
		}
		if (identified instanceof Promise) {
			identified.then(admit, done);
		} else {
			admit(identified);
		}
	};
}

/**
 * A `requireRole` for what only a member's VS Code reports: the revision it applied, its usage
 * counts, its own settings. An admin API token or a console session is refused, so a pipeline's
 * token (leaked or not) cannot make its maker look in sync, or add to their usage.
 */
export function requireVsCodeSignIn(auth: Authenticators) {
	const signedIn = requireRole(auth);
	return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void =>
		signedIn(request, reply, (error) => {
			if (!error && !(request.principal && isVsCodeSignIn(request.principal))) {
				return done(
					new HttpError(
						403,
						'forbidden',
						"only a member's VS Code reports this, signed in as itself: an admin API token or a console session cannot report for them",
					),
				);
			}
			done(error);
		});
}

export function principalOf(request: FastifyRequest): Principal {
	if (!request.principal) {
		throw new Error('route used without an authentication pre-handler');
	}
	return request.principal;
}

/**
 * Who did what a request does, as the activity list and the revision history name them: the
 * admin, and which of their API tokens when one made the request (see {@link apiTokenActor}).
 */
export function actorOf({ user, token }: Principal): string {
	return token.kind === 'admin_api' ? apiTokenActor(user.email, token.label, adminApiTokenId(token.tokenHash)) : user.email;
}

/**
 * The principal of a request a person must make signed in, not an admin API token: what the route
 * does (make a token, reset a password) would let a leaked pipeline token outlive or take over
 * people. `refusal` says what a token cannot do and where a person does it.
 */
export function signedInPrincipalOf(request: FastifyRequest, refusal: string): Principal {
	const principal = principalOf(request);
	if (principal.token.kind === 'admin_api') {
		throw new HttpError(403, 'forbidden', refusal);
	}
	return principal;
}
