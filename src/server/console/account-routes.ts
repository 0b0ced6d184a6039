import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { PasswordChanges } from '../accounts';
import type { AuditLog } from '../audit';
import { principalOf } from '../http/auth';
import type { Store } from '../store/store';
import { accountPage, type AccountPageState } from './account-page';
import { page } from './html';
import type { ConsoleKit } from './kit';
import type { PasswordNotice } from './password-notice';

/** The signed-in admin's own account page (`/console/account`): their password, changed with the current one. */
export const accountRoutes: FastifyPluginAsyncZod<{
	kit: ConsoleKit;
	passwords: Pick<PasswordChanges, 'change'>;
	audit: Pick<AuditLog, 'record'>;
	store: Pick<Store, 'getOrganization'>;
	notify: PasswordNotice;
}> = async (app, { kit, passwords, audit, store, notify }) => {
	const { sendPage, consolePage, chrome, guard, guarded, formOf } = kit;

	/** The page as HTML, with the form token its form carries. */
	const accountHtml = async (request: FastifyRequest, formToken: string, extra: Pick<AccountPageState, 'notice' | 'errors'>) => {
		const { user } = principalOf(request);
		const organization = (await store.getOrganization(user.orgId))?.name;
		const state = { email: user.email, role: user.role, formToken, passwordless: user.passwordHash === null, ...extra };
		return page(chrome(request, 'Your account', 'account', organization, ['/console/assets/console.js']), accountPage(state));
	};
	const accountView = async (
		request: FastifyRequest,
		reply: FastifyReply,
		extra: Pick<AccountPageState, 'notice' | 'errors'> = {},
		status = 200,
	) => sendPage(reply, await accountHtml(request, guard.tokenFor(request, reply), extra), status);

	app.get('/console/account', { preHandler: consolePage }, async (request, reply) => accountView(request, reply));

	app.post('/console/account/password', { preHandler: consolePage }, async (request, reply) =>
		guarded(
			request,
			reply,
			(formToken, error) => accountHtml(request, formToken, { errors: { form: `Nothing was changed: ${error}` } }),
			() => changePassword(request, reply),
		),
	);

	const changePassword = async (request: FastifyRequest, reply: FastifyReply) => {
		const form = formOf(request);
		const { user, token } = principalOf(request);
		if ((form.password ?? '') !== (form.repeat ?? '')) {
			return accountView(request, reply, { errors: { repeat: 'The two new passwords differ.' } }, 400);
		}
		const endSignIns = form.endSignIns === 'on';
		const outcome = await passwords.change(user, form.current ?? '', form.password ?? '', { keepSession: token.tokenHash, endSignIns });
		switch (outcome.kind) {
			case 'changed':
				await audit.record(user.orgId, user.email, 'account.password_changed', 'ok', { endedSignIns: outcome.endedSignIns });
				notify(user, 'changed', outcome.endedSignIns);
				return accountView(request, reply, {
					notice: `Password changed. Your other console sessions ended${outcome.endedSignIns ? ', and so did your VS Code sign-ins: sign in there again' : ''}.`,
				});
			case 'wrong':
				await audit.record(user.orgId, user.email, 'account.password_changed', 'refused', { reason: 'wrong current password' });
				return accountView(request, reply, { errors: { current: 'That is not your current password.' } }, 400);
			case 'throttled':
				return accountView(
					request,
					reply,
					{ errors: { current: `Too many wrong passwords: try again in ${outcome.retryAfterSeconds} seconds.` } },
					429,
				);
			case 'weak':
				return accountView(request, reply, { errors: { password: outcome.message } }, 400);
			case 'no-password':
				return accountView(
					request,
					reply,
					{ errors: { form: 'You sign in through single sign-on: there is no password here to change.' } },
					409,
				);
		}
	};
};
