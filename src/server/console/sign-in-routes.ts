import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { ConsoleSessions } from '../accounts';
import type { ServerConfig } from '../config';
import type { PasswordPurpose, PasswordRefusal, PasswordSignIn } from '../sso/password-sign-in';
import type { SingleSignOn } from '../sso/single-sign-on';
import type { ConsoleKit } from './kit';
import { consoleReturnPath } from './return-path';
import { signInPages, type SsoOffer } from './sign-in-pages';

export interface SignInRouteOptions {
	readonly kit: ConsoleKit;
	readonly passwords: Pick<PasswordSignIn, 'signIn'>;
	readonly sessions: Pick<ConsoleSessions, 'end'>;
	readonly sso: Pick<SingleSignOn, 'offer'>;
	readonly config: Pick<ServerConfig, 'orgId'>;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
}

/** The sign-in page's address: break-glass, and the console page to return to (`next`). */
const LoginQuery = z.object({ 'break-glass': z.string().optional(), next: z.string().optional() });

/**
 * The status and sentence for a refused password, in the words of the page that asked: a sign-in
 * (the console's, or VS Code's on the device page) or the members' password page. A throttled
 * account is told when to try again.
 */
export function refusalAnswer(refusal: PasswordRefusal, reply: FastifyReply, purpose: PasswordPurpose): [number, string] {
	const changing = purpose === 'account';
	switch (refusal.reason) {
		case 'throttled':
			reply.header('retry-after', String(refusal.retryAfterSeconds));
			return [429, `Too many failed sign-ins for this account: try again in ${refusal.retryAfterSeconds} s.`];
		case 'wrong_password':
			return [401, changing ? 'Wrong email or current password.' : 'Wrong email or password.'];
		case 'not_admin':
			return [401, 'Only admins can use the console.'];
		case 'password_sign_in_off':
			return changing
				? [409, 'This organization signs in with single sign-on only: change your password at your identity provider.']
				: [403, 'This organization signs in with single sign-on only: use the button above.'];
	}
}

/** The console's password sign-in page (break-glass too), sign-out, and where the bare address leads. */
export const signInRoutes: FastifyPluginAsyncZod<SignInRouteOptions> = async (
	app,
	{ kit, passwords, sessions, sso, config, loginLimit },
) => {
	const { sendPage, guard, guarded, formOf, sessionPrincipal } = kit;
	const loginPage = (
		request: FastifyRequest,
		reply: FastifyReply,
		options: { error?: string; email?: string; breakGlass: boolean; sso: SsoOffer | undefined; next: string | undefined },
		status = 200,
	) => sendPage(reply, signInPages.login(guard.tokenFor(request, reply), options), status);

	app.get('/console/login', { schema: { querystring: LoginQuery } }, async (request, reply) =>
		loginPage(request, reply, {
			breakGlass: request.query['break-glass'] !== undefined,
			sso: await sso.offer(config.orgId),
			next: request.query.next,
		}),
	);

	app.post('/console/login', { config: loginLimit, schema: { querystring: LoginQuery } }, async (request, reply) => {
		const body = formOf(request);
		const breakGlass = request.query['break-glass'] !== undefined;
		const { next } = request.query;
		const offer = await sso.offer(config.orgId);
		return guarded(
			request,
			reply,
			(token, error) => signInPages.login(token, { error, email: body.email, sso: offer, breakGlass, next }),
			async () => {
				const outcome = await passwords.signIn(body.email ?? '', body.password ?? '', 'console');
				if (outcome.kind === 'refused') {
					const [status, error] = refusalAnswer(outcome, reply, 'console');
					return loginPage(request, reply, { error, email: body.email, breakGlass, sso: offer, next }, status);
				}
				await kit.signIn(reply, outcome.user);
				return reply.redirect(consoleReturnPath(next) ?? '/console/settings', 303);
			},
		);
	});

	app.post('/console/logout', async (request, reply) => {
		guard.checkOrigin(request);
		const cookie = request.cookies[kit.sessionCookie];
		const principal = await sessionPrincipal(request);
		if (cookie && principal && formOf(request).csrf === principal.token.csrfToken) {
			await sessions.end(cookie);
		}
		reply.clearCookie(kit.sessionCookie, { path: '/' });
		return reply.redirect('/console/login', 303);
	});

	/**
	 * The console session's CSRF token, for a page opened under an earlier session: an admin whose
	 * session ended signs in again in another tab, and the page they were editing sends its change
	 * again with the new session's token instead of being reloaded (which would lose the edit). Only
	 * this origin's scripts can read the answer (no CORS), so it gives another site nothing.
	 */
	app.get('/console/session', async (request, reply) => {
		const principal = await sessionPrincipal(request);
		if (!principal || principal.user.role !== 'admin' || !principal.token.csrfToken) {
			return reply.code(401).send({ error: 'unauthorized', message: 'no console session: sign in first' });
		}
		return { csrfToken: principal.token.csrfToken, email: principal.user.email };
	});

	// Someone opening the service's bare address is looking for the console.
	app.get('/', async (_request, reply) => reply.redirect('/console', 302));
	app.get('/console', async (_request, reply) => reply.redirect('/console/settings', 302));
};
