import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { DomainError, type PasswordResets, type PendingReset } from '../accounts';
import type { AuditLog } from '../audit';
import type { ServerConfig } from '../config';
import { domainStatus } from '../http/errors';
import type { Store } from '../store/store';
import { html, page } from './html';
import type { ConsoleKit } from './kit';
import type { PasswordNotice } from './password-notice';
import { connectVsCodePage } from './invitation-routes';

export interface PasswordResetRouteOptions {
	readonly kit: ConsoleKit;
	readonly passwordResets: Pick<PasswordResets, 'check' | 'redeem'>;
	readonly store: Pick<Store, 'getOrganization'>;
	readonly config: Pick<ServerConfig, 'publicUrl' | 'extensionInstallUrl'>;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
	readonly notify: PasswordNotice;
}

const ResetParams = z.object({ token: z.string().max(200) });

/** The page a reset link opens: the account, and its new password; or why the link opens nothing. */
function resetPage(token: string, formToken: string, account: PendingReset | undefined, error?: string): string {
	return page(
		{ title: 'Set a new password' },
		html`<section class="card narrow">
			<h1>Set a new password</h1>
			${error ? html`<p class="error" role="alert" id="reset-error">${error}</p>` : ''}
			${
				account
					? html`<p>For <strong id="reset-account">${account.email}</strong>. Every sign-in of this account ends when the new password is saved: sign in again with it.</p>
					<form method="post" action="/reset/${token}">
						<input type="hidden" name="csrf" value="${formToken}">
						<input type="email" name="username" value="${account.email}" autocomplete="username" hidden readonly>
						<label>New password (12 characters or more) <input type="password" name="password" id="password" autocomplete="new-password" minlength="12" required></label>
						<button type="submit" class="primary" id="save-password">Save password</button>
					</form>`
					: ''
			}
		</section>`,
	);
}

/** Why a link opens nothing, or why the password was refused, in the words the person needs. */
function refusalMessage(error: DomainError): string {
	switch (error.code) {
		case 'expired_reset':
			return 'This password reset link has expired. Ask your admin for a new one.';
		case 'weak_password':
		case 'deactivated':
			return error.message;
		default:
			// Used, replaced and made-up links alike: which it was is not the visitor's to learn.
			return 'This password reset link cannot be used: it was used already, or replaced by a newer one. Ask your admin for a new one.';
	}
}

/**
 * `/reset/:token`: the person a reset link was made for chooses a new password. An admin is then
 * signed in to the console; a member is shown how to connect VS Code again (their sign-ins ended).
 */
export const passwordResetRoutes: FastifyPluginAsyncZod<PasswordResetRouteOptions> = async (
	app,
	{ kit, passwordResets, store, config, audit, loginLimit, notify },
) => {
	const { sendPage, guard, guarded, formOf } = kit;

	app.get('/reset/:token', { schema: { params: ResetParams } }, async (request, reply) => {
		const { token } = request.params;
		const checked = await passwordResets.check(token);
		if ('refused' in checked) {
			const { refused } = checked;
			return sendPage(reply, resetPage(token, guard.tokenFor(request, reply), undefined, refusalMessage(refused)), domainStatus(refused));
		}
		return sendPage(reply, resetPage(token, guard.tokenFor(request, reply), checked.account));
	});

	app.post('/reset/:token', { config: loginLimit, schema: { params: ResetParams } }, async (request, reply) => {
		const { token } = request.params;
		return guarded(
			request,
			reply,
			// A form that fails its own check (an old page's token) is shown again, for the link's account if it still opens.
			async (formToken, error) => {
				const checked = await passwordResets.check(token);
				return resetPage(token, formToken, 'account' in checked ? checked.account : undefined, error);
			},
			async () => {
				const outcome = await passwordResets.redeem(token, formOf(request).password ?? '');
				if ('refused' in outcome) {
					// A weak password keeps the form; a link that opens nothing says so, the same way the page does.
					const { refused, account } = outcome;
					return sendPage(reply, resetPage(token, guard.tokenFor(request, reply), account, refusalMessage(refused)), domainStatus(refused));
				}
				const { user } = outcome;
				await audit.record(user.orgId, user.email, 'member.password_reset', 'ok', { role: user.role });
				notify(user, 'reset', true);
				if (user.role === 'admin') {
					await kit.signIn(reply, user);
					return reply.redirect('/console', 303);
				}
				return sendPage(reply, await connectVsCodePage({ store, config }, user, { afterReset: true }));
			},
		);
	});
};
