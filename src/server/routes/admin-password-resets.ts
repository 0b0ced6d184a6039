import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { PasswordResets } from '../accounts';
import type { AuditLog } from '../audit';
import { isoTime } from '../clock';
import { actorOf, principalOf, requireRole, signedInPrincipalOf, type Authenticators } from '../http/auth';
import { ErrorSchema } from '../http/schemas';
import { trySending, type Mailer } from '../mail';
import type { Store } from '../store/store';

export interface AdminPasswordResetRouteOptions {
	readonly auth: Authenticators;
	readonly passwordResets: Pick<PasswordResets, 'issue' | 'withdraw'>;
	readonly store: Pick<Store, 'getOrganization'>;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly publicUrl: () => string;
	readonly mailer?: Mailer | undefined;
}

export const PasswordResetLinkSchema = z.object({
	email: z.string(),
	expiresAt: z.string(),
	link: z.string(),
	/** Whether the link was e-mailed (only when the service has SMTP configured). */
	emailed: z.boolean(),
	/** Why the e-mail could not be sent, when it could not: the admin passes the link on instead. */
	emailError: z.string().optional(),
});

/** The path of a reset link's page; its token is the whole secret. */
export const resetPath = (token: string) => `/reset/${token}`;

/**
 * A one-time link that lets a member who lost their password choose a new one (their unused link
 * stops working; using the new one ends all their sign-ins). A signed-in admin makes it, never an
 * API token: a leaked pipeline token must not be able to take over a person's account.
 */
export const adminPasswordResetRoutes: FastifyPluginAsyncZod<AdminPasswordResetRouteOptions> = async (
	app,
	{ auth, passwordResets, store, audit, publicUrl, mailer },
) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));

	app.post(
		'/members/:id/password-reset',
		{
			schema: {
				summary: 'Make a one-time link (valid a day) with which a member who lost their password sets a new one',
				security: [{ bearerAuth: [] }],
				params: z.object({ id: z.string().min(1) }),
				response: { 201: PasswordResetLinkSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = signedInPrincipalOf(
				request,
				"an admin API token cannot reset passwords: an admin does it signed in (the console's Members page)",
			);
			const reset = await passwordResets.issue(user.orgId, request.params.id, user.email);
			const link = `${publicUrl()}${resetPath(reset.token)}`;
			const mail =
				mailer &&
				(await trySending(
					async () =>
						mailer.passwordReset({
							to: reset.user.email,
							organization: (await store.getOrganization(user.orgId))?.name ?? user.orgId,
							sentBy: user.email,
							link,
							expiresAt: reset.expiresAt,
						}),
					(reason) => request.log.warn({ reason }, 'could not e-mail a password reset link'),
				));
			await audit.record(user.orgId, user.email, 'member.password_reset_sent', 'ok', {
				member: reset.user.email,
				emailed: mail?.sent ?? false,
			});
			return reply.code(201).send({
				email: reset.user.email,
				expiresAt: isoTime(reset.expiresAt),
				link,
				emailed: mail?.sent ?? false,
				...(mail?.error ? { emailError: mail.error } : {}),
			});
		},
	);

	// Withdrawing only takes a way in away, so an admin API token may do it too.
	app.delete(
		'/members/:id/password-reset',
		{
			schema: {
				summary: "Withdraw a member's unused password reset link: it opens nothing from now on",
				security: [{ bearerAuth: [] }],
				params: z.object({ id: z.string().min(1) }),
				response: { 204: z.null(), 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const member = await passwordResets.withdraw(user.orgId, request.params.id);
			await audit.record(user.orgId, actorOf(principal), 'member.password_reset_withdrawn', 'ok', { member: member.email });
			return reply.code(204).send(null);
		},
	);
};
