import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { DeviceAuthorizations } from '../accounts';
import type { AuditLog } from '../audit';
import type { ServerConfig } from '../config';
import { normalizeUserCode } from '../crypto';
import type { PasswordSignIn } from '../sso/password-sign-in';
import type { SingleSignOn } from '../sso/single-sign-on';
import type { Store } from '../store/store';
import type { ConsoleSessions } from '../accounts';
import type { ConsoleKit } from './kit';
import { refusalAnswer } from './sign-in-routes';
import { signInPages } from './sign-in-pages';

export interface DeviceVerificationRouteOptions {
	readonly kit: ConsoleKit;
	readonly passwords: Pick<PasswordSignIn, 'signIn'>;
	readonly devices: Pick<DeviceAuthorizations, 'findPending' | 'decide'>;
	readonly sso: Pick<SingleSignOn, 'offer'>;
	readonly sessions: Pick<ConsoleSessions, 'end'>;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly store: Pick<Store, 'getOrganization'>;
	readonly config: Pick<ServerConfig, 'orgId' | 'orgName' | 'publicUrl'>;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
}

/**
 * RFC 8628's verification URI (`/device`): the member signs in here (password, single sign-on, or
 * the console session they already have) and approves or denies the code VS Code shows.
 */
export const deviceVerificationRoutes: FastifyPluginAsyncZod<DeviceVerificationRouteOptions> = async (
	app,
	{ kit, passwords, devices, sso, sessions, audit, store, config, loginLimit },
) => {
	const { sendPage, guard, guarded, formOf, sessionPrincipal } = kit;
	const pageFor = (formToken: string, userCode: string, signedInAs: string | undefined, offer: Awaited<ReturnType<typeof sso.offer>>) =>
		({ organization: config.orgName, serverUrl: config.publicUrl, formToken, userCode, signedInAs, sso: offer }) as const;

	app.get('/device', { schema: { querystring: z.object({ user_code: z.string().optional() }) } }, async (request, reply) => {
		const principal = await sessionPrincipal(request);
		const userCode = request.query.user_code ? normalizeUserCode(request.query.user_code) : '';
		const offer = await sso.offer(config.orgId);
		return sendPage(reply, signInPages.device(pageFor(guard.tokenFor(request, reply), userCode, principal?.user.email, offer)));
	});

	app.post('/device', { config: loginLimit }, async (request, reply) => {
		const body = formOf(request);
		const userCode = normalizeUserCode(body.user_code ?? '');
		const offer = await sso.offer(config.orgId);
		const answer = async (status: number, options: { error?: string; done?: string }) => {
			const signedInAs = (await sessionPrincipal(request))?.user.email;
			return sendPage(
				reply,
				signInPages.device({ ...pageFor(guard.tokenFor(request, reply), userCode, signedInAs, offer), ...options }),
				status,
			);
		};
		return guarded(
			request,
			reply,
			(formToken, error) => signInPages.device({ ...pageFor(formToken, userCode, undefined, offer), error }),
			async () => {
				if (body.action === 'switch') {
					// The browser's console session would approve as its owner: end it here, keep the code.
					const cookie = request.cookies[kit.sessionCookie];
					if (cookie) {
						await sessions.end(cookie);
					}
					reply.clearCookie(kit.sessionCookie, { path: '/' });
					return sendPage(reply, signInPages.device(pageFor(guard.tokenFor(request, reply), userCode, undefined, offer)));
				}
				const byPassword = Boolean(body.email);
				let user;
				if (byPassword) {
					const outcome = await passwords.signIn(body.email ?? '', body.password ?? '', 'device');
					if (outcome.kind === 'refused') {
						const [status, error] = refusalAnswer(outcome, reply, 'device');
						return answer(status, { error });
					}
					user = outcome.user;
				} else {
					user = (await sessionPrincipal(request))?.user;
					if (!user) {
						return answer(401, { error: 'Sign in first.' });
					}
				}
				const device = await devices.findPending(userCode);
				if (!device) {
					return answer(400, { error: 'That code is not valid or has expired. Check the code VS Code shows, or start the sign-in again.' });
				}
				const approve = body.action !== 'deny';
				await devices.decide(device, user, approve);
				await audit.record(user.orgId, user.email, approve ? 'device.approved' : 'device.denied', 'ok', {
					via: byPassword ? 'password' : 'session',
				});
				const organization = (await store.getOrganization(user.orgId))?.name;
				return answer(200, {
					done: approve
						? `Approved. VS Code is now signed in to ${organization} as ${user.email}; you can close this page.`
						: 'Denied. VS Code will not be signed in.',
				});
			},
		);
	});
};
