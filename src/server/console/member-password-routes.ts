import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { PasswordChanges } from '../accounts';
import { couldBeAddress } from '../accounts/email-address';
import type { AuditLog } from '../audit';
import type { PasswordSignIn } from '../sso/password-sign-in';
import { html, page } from './html';
import type { ConsoleKit } from './kit';
import type { PasswordNotice } from './password-notice';
import { refusalAnswer } from './sign-in-routes';

export interface MemberPasswordRouteOptions {
	readonly kit: ConsoleKit;
	readonly passwords: Pick<PasswordSignIn, 'signIn'>;
	readonly changes: Pick<PasswordChanges, 'setNew'>;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
	readonly notify: PasswordNotice;
}

interface MemberPasswordState {
	formToken: string;
	email?: string;
	error?: string;
	done?: string;
}

function memberPasswordPage({ formToken, email = '', error, done }: MemberPasswordState): string {
	return page(
		{ title: 'Change your password' },
		html`<section class="card narrow">
			<h1>Change your password</h1>
			${done ? html`<p class="success" role="status" id="password-changed">${done}</p>` : ''}
			${error ? html`<p class="error" role="alert" id="password-error">${error}</p>` : ''}
			${
				done
					? ''
					: html`<p class="muted">The password you sign in to VS Code with, for the organization's AI provider policy. Forgot it? Ask your admin for a link to set a new one.</p>
			<form method="post" action="/account/password">
				<input type="hidden" name="csrf" value="${formToken}">
				<label>Email <input type="email" name="email" id="email" autocomplete="username" required value="${email}"></label>
				<label>Current password <input type="password" name="current" id="current-password" autocomplete="current-password" required></label>
				<label>New password (12 characters or more) <input type="password" name="password" id="new-password" autocomplete="new-password" minlength="12" required></label>
				<label>New password again <input type="password" name="repeat" id="repeat-password" autocomplete="new-password" minlength="12" required></label>
				<label class="toggle"><input type="checkbox" name="endSignIns" id="end-sign-ins" checked> Also sign out my VS Code everywhere (do this if someone else may know the old password)</label>
				<button type="submit" class="primary" id="change-password">Change password</button>
			</form>`
			}
		</section>`,
	);
}

/** An address to fill in the form with: one that could be an account's, or none. */
function prefilledAddress(asked: string | undefined): string | undefined {
	return asked !== undefined && couldBeAddress(asked) ? asked : undefined;
}

/**
 * `/account/password`: anyone with a password changes it with the current one — members too, who
 * have no console. Throttled and recorded like a sign-in; where single sign-on is required, the
 * identity provider changes passwords, not this page.
 */
export const memberPasswordRoutes: FastifyPluginAsyncZod<MemberPasswordRouteOptions> = async (
	app,
	{ kit, passwords, changes, audit, loginLimit, notify },
) => {
	const { sendPage, guard, guarded, formOf } = kit;
	const show = (request: FastifyRequest, reply: FastifyReply, state: Omit<MemberPasswordState, 'formToken'>, status = 200) =>
		sendPage(reply, memberPasswordPage({ formToken: guard.tokenFor(request, reply), ...state }), status);

	// `?email=`: VS Code's *Change Password* opens the page with the signed-in address filled in. Only a
	// plausible address is echoed (escaped like every value); anything else leaves the box empty.
	app.get('/account/password', { schema: { querystring: z.object({ email: z.string().optional() }) } }, async (request, reply) =>
		show(request, reply, { email: prefilledAddress(request.query.email) }),
	);

	app.post('/account/password', { config: loginLimit }, async (request, reply) =>
		guarded(
			request,
			reply,
			(formToken, error) => memberPasswordPage({ formToken, error: `Nothing was changed: ${error}` }),
			async () => {
				const form = formOf(request);
				const email = form.email ?? '';
				const [current, next] = [form.current ?? '', form.password ?? ''];
				if (next !== (form.repeat ?? '')) {
					return show(request, reply, { email, error: 'The two new passwords differ.' }, 400);
				}
				if (next.length < 12) {
					return show(request, reply, { email, error: 'The new password must be at least 12 characters.' }, 400);
				}
				const signedIn = await passwords.signIn(email, current, 'account');
				if (signedIn.kind === 'refused') {
					const [status, message] = refusalAnswer(signedIn, reply, 'account');
					return show(request, reply, { email, error: message }, status);
				}
				const { user } = signedIn;
				const endSignIns = form.endSignIns === 'on';
				const outcome = await changes.setNew(user, current, next, { keepSession: null, endSignIns });
				if (outcome.kind === 'weak') {
					return show(request, reply, { email, error: outcome.message }, 400);
				}
				await audit.record(user.orgId, user.email, 'account.password_changed', 'ok', { endedSignIns: endSignIns, via: 'account page' });
				notify(user, 'changed', endSignIns);
				return show(request, reply, {
					done: `Password changed for ${user.email}.${endSignIns ? ' Your VS Code sign-ins ended: sign in there again with the new password.' : ' VS Code stays signed in.'}`,
				});
			},
		),
	);
};
