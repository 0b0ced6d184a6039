import type { FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import type { Accounts, Principal } from '../accounts';
import type { UserRecord } from '../store/store';
import { principalOf, sessionCookieName } from '../http/auth';
import { HttpError } from '../http/http-error';
import { FormGuard } from './form-guard';
import type { PageOptions } from './html';
import { loginPath } from './return-path';

const FormSchema = z.record(z.string(), z.string()).default({});

/** What every console route plugin shares: pages, the session cookie, form protection, the admin gate. */
export interface ConsoleKit {
	readonly guard: FormGuard;
	/** The console session cookie's name (`__Host-` on https). */
	readonly sessionCookie: string;
	sendPage(reply: FastifyReply, html: string, status?: number): FastifyReply;
	/** Starts a console session for the user (any role: members approving a device use one too). */
	signIn(reply: FastifyReply, user: UserRecord): Promise<void>;
	sessionPrincipal(request: FastifyRequest): Promise<Principal | undefined>;
	formOf(request: FastifyRequest): Record<string, string>;
	/** Runs a form post only when it is this service's own form; otherwise shows the page again with why. */
	guarded(
		request: FastifyRequest,
		reply: FastifyReply,
		render: (formToken: string, error: string) => string | Promise<string>,
		work: () => Promise<unknown>,
	): Promise<unknown>;
	/**
	 * A pre-handler: console pages send a visitor who is not a signed-in admin to the sign-in page,
	 * which brings them back to the page they opened.
	 */
	consolePage(request: FastifyRequest, reply: FastifyReply): Promise<void>;
	chrome(
		request: FastifyRequest,
		title: string,
		active: NonNullable<PageOptions['active']>,
		organization: string | undefined,
		scripts?: string[],
	): PageOptions;
}

export function createConsoleKit(accounts: Pick<Accounts, 'sessions' | 'tokens'>, publicUrl: () => string, secure: boolean): ConsoleKit {
	const { sessions } = accounts;
	const sessionCookie = sessionCookieName(secure);
	const guard = new FormGuard(publicUrl, secure);
	const formOf = (request: FastifyRequest) => FormSchema.parse(request.body ?? {});
	const sessionPrincipal = async (request: FastifyRequest): Promise<Principal | undefined> => {
		const cookie = request.cookies[sessionCookie];
		return cookie ? sessions.resolve(cookie) : undefined;
	};
	const sendPage: ConsoleKit['sendPage'] = (reply, html, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(html);
	return {
		guard,
		formOf,
		sessionPrincipal,
		sendPage,
		async signIn(reply, user) {
			const { cookie } = await sessions.create(user);
			reply.setCookie(sessionCookie, cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: sessions.lifetimeSeconds });
		},
		async guarded(request, reply, render, work) {
			try {
				guard.check(request, formOf(request).csrf);
			} catch (error) {
				if (error instanceof HttpError) {
					return sendPage(reply, await render(guard.tokenFor(request, reply), error.message), error.statusCode);
				}
				throw error;
			}
			return work();
		},
		async consolePage(request, reply) {
			const principal = await sessionPrincipal(request);
			if (!principal || principal.user.role !== 'admin') {
				await reply.redirect(loginPath(request.method === 'GET' ? request.url : undefined), 303);
				return;
			}
			request.principal = principal;
		},
		sessionCookie,
		chrome(request, title, active, organization, scripts) {
			const { user, token } = principalOf(request);
			const answersPost = request.method === 'POST';
			return { title, organization, user, csrfToken: token.csrfToken ?? '', active, answersPost, ...(scripts ? { scripts } : {}) };
		},
	};
}
