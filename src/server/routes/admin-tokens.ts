import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { AdminApiTokens, AdminApiTokenView } from '../accounts';
import { ADMIN_TOKEN_DEFAULT_DAYS, ADMIN_TOKEN_MAX_DAYS } from '../accounts/admin-api-tokens';
import { isoTime } from '../clock';
import { actorOf, principalOf, requireRole, signedInPrincipalOf, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { ErrorSchema } from '../http/schemas';

const bearer = [{ bearerAuth: [] }];

/** What an admin sends to make a token: the console's form says the same. */
export const NewAdminTokenSchema = z.strictObject({
	label: z
		.string('must be text')
		.trim()
		.min(1, 'is required: say what will use the token (e.g. "policy pipeline")')
		.max(100, 'must be at most 100 characters'),
	expiresInDays: z
		.number('must be a whole number of days, or null for a token that never expires')
		.int('must be a whole number of days')
		.min(1, 'must be at least 1 day')
		.max(ADMIN_TOKEN_MAX_DAYS, `must be at most ${ADMIN_TOKEN_MAX_DAYS} days (null: never)`)
		.nullable()
		.default(ADMIN_TOKEN_DEFAULT_DAYS)
		.describe(`Days until the token stops working (default ${ADMIN_TOKEN_DEFAULT_DAYS}); null: it never expires`),
});

const AdminTokenViewSchema = z.object({
	id: z.string(),
	label: z.string(),
	createdBy: z.string().describe('The admin whose rights the token carries: it opens nothing once they are no longer one'),
	createdAt: z.string(),
	expiresAt: z.string().nullable(),
	lastUsedAt: z.string().nullable(),
	state: z.enum(['active', 'expired', 'maker-not-admin']),
});

export function adminTokenView(view: AdminApiTokenView): z.infer<typeof AdminTokenViewSchema> {
	return {
		...view,
		createdAt: isoTime(view.createdAt),
		expiresAt: isoTime(view.expiresAt),
		lastUsedAt: isoTime(view.lastUsedAt),
	};
}

/**
 * Admin API tokens under /api/v1/admin/tokens: made by a signed-in admin (not by another token, so a
 * leaked token cannot make itself a successor), listed and revoked by any admin (each change goes to
 * the activity list from the domain).
 */
export const adminTokenRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	adminTokens: Pick<AdminApiTokens, 'create' | 'list' | 'revoke'>;
}> = async (app, { auth, adminTokens }) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));

	app.get(
		'/tokens',
		{
			schema: {
				summary: "The organization's admin API tokens (not revoked), newest first",
				security: bearer,
				response: { 200: z.object({ tokens: z.array(AdminTokenViewSchema) }) },
			},
		},
		async (request) => ({ tokens: (await adminTokens.list(principalOf(request).user.orgId)).map(adminTokenView) }),
	);

	app.post(
		'/tokens',
		{
			schema: {
				summary: 'Create an admin API token for automation (the secret is shown once)',
				security: bearer,
				body: NewAdminTokenSchema,
				response: { 201: AdminTokenViewSchema.extend({ token: z.string() }), 400: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = signedInPrincipalOf(
				request,
				"an admin API token cannot make another: an admin makes tokens signed in (the console's API tokens page)",
			);
			const made = await adminTokens.create(user, request.body.label, request.body.expiresInDays);
			if (!made.ok) {
				throw new HttpError(409, 'conflict', `${made.field}: ${made.message}`, {
					fieldErrors: [{ path: made.field, message: made.message }],
				});
			}
			return reply.code(201).send({ ...adminTokenView(made.value.view), token: made.value.token });
		},
	);

	app.delete(
		'/tokens/:id',
		{
			schema: {
				summary: 'Revoke an admin API token at once (on every instance)',
				security: bearer,
				params: z.object({ id: z.string().min(1).max(64) }),
				response: { 204: z.null(), 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			if (!(await adminTokens.revoke(principal.user, request.params.id, actorOf(principal)))) {
				throw new HttpError(404, 'not_found', `no admin API token ${request.params.id} in this organization (revoked already?)`);
			}
			return reply.code(204).send(null);
		},
	);
};
