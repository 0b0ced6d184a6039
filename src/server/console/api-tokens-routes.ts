import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { AdminApiTokens } from '../accounts';
import type { AuditLog } from '../audit';
import { isoTime, type Clock } from '../clock';
import { principalOf } from '../http/auth';
import { HttpError } from '../http/http-error';
import { NewAdminTokenSchema } from '../routes/admin-tokens';
import type { Store } from '../store/store';
import { apiTokensPage, type ApiTokensPageState } from './api-tokens-page';
import { page } from './html';
import type { ConsoleKit } from './kit';

const RevokeParams = z.object({ id: z.string().min(1).max(64) });

/** The form's fields as the API's request: "never" is null, a number of days otherwise. */
function requestOf(form: Record<string, string>): Record<string, unknown> {
	const expires = form.expires ?? '';
	return { label: form.label ?? '', expiresInDays: expires === 'never' ? null : /^\d+$/.test(expires) ? Number(expires) : expires };
}

/**
 * The API tokens page (`/console/tokens`): make a token (its secret shown once), see each one's maker,
 * expiry and last use, revoke one. Plain form posts, so it works without the console's script.
 */
export const apiTokensRoutes: FastifyPluginAsyncZod<{
	kit: ConsoleKit;
	adminTokens: Pick<AdminApiTokens, 'create' | 'list' | 'revoke'>;
	audit: Pick<AuditLog, 'record'>;
	store: Pick<Store, 'getOrganization'>;
	clock: Clock;
}> = async (app, { kit, adminTokens, audit, store, clock }) => {
	const { sendPage, consolePage, chrome, guard, formOf } = kit;

	const tokensPage = async (
		request: FastifyRequest,
		reply: FastifyReply,
		extra: Omit<ApiTokensPageState, 'tokens' | 'formToken' | 'now'> = {},
		status = 200,
	) => {
		const { user } = principalOf(request);
		const organization = (await store.getOrganization(user.orgId))?.name;
		const state = { tokens: await adminTokens.list(user.orgId), formToken: guard.tokenFor(request, reply), now: clock.now(), ...extra };
		return sendPage(
			reply,
			page(chrome(request, 'API tokens', 'tokens', organization, ['/console/assets/console.js']), apiTokensPage(state)),
			status,
		);
	};
	/** Runs a form post only when it is this page's own form; otherwise the page again, saying why and doing nothing. */
	const ownForm = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) => {
		try {
			guard.check(request, formOf(request).csrf);
		} catch (error) {
			if (error instanceof HttpError) {
				return tokensPage(request, reply, { refusal: error.message }, error.statusCode);
			}
			throw error;
		}
		return work();
	};

	app.get('/console/tokens', { preHandler: consolePage }, async (request, reply) => tokensPage(request, reply));

	app.post('/console/tokens', { preHandler: consolePage }, async (request, reply) =>
		ownForm(request, reply, async () => {
			const form = formOf(request);
			const parsed = NewAdminTokenSchema.safeParse(requestOf(form));
			const values = { label: form.label ?? '', expires: form.expires ?? '' };
			if (!parsed.success) {
				const errorOf = (field: string) => parsed.error.issues.find((issue) => issue.path[0] === field)?.message;
				const errors = { label: errorOf('label'), expires: errorOf('expiresInDays') };
				return tokensPage(request, reply, { values, errors }, 400);
			}
			const { user } = principalOf(request);
			const made = await adminTokens.create(user, parsed.data.label, parsed.data.expiresInDays);
			await audit.record(user.orgId, user.email, 'admin_token.created', 'ok', {
				label: made.view.label,
				expiresAt: isoTime(made.view.expiresAt) ?? 'never',
			});
			return tokensPage(request, reply, { created: made });
		}),
	);

	app.post('/console/tokens/:id/revoke', { preHandler: consolePage, schema: { params: RevokeParams } }, async (request, reply) =>
		ownForm(request, reply, async () => {
			const { user } = principalOf(request);
			const revoked = await adminTokens.revoke(user.orgId, request.params.id);
			if (!revoked) {
				return tokensPage(request, reply, { notice: 'That token was revoked already.' }, 404);
			}
			await audit.record(user.orgId, user.email, 'admin_token.revoked', 'ok', { label: revoked.label, createdBy: revoked.createdBy });
			return tokensPage(request, reply, { notice: `Revoked ${revoked.label}: whatever used it is refused from now on.` });
		}),
	);
};
