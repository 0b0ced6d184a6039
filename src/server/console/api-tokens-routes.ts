import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { AdminApiTokens } from '../accounts';
import type { Clock } from '../clock';
import { principalOf } from '../http/auth';
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
	store: Pick<Store, 'getOrganization'>;
	clock: Clock;
}> = async (app, { kit, adminTokens, store, clock }) => {
	const { sendPage, consolePage, chrome, guard, guarded, formOf } = kit;

	/** The page as HTML, with the form token its forms carry. */
	const tokensHtml = async (
		request: FastifyRequest,
		formToken: string,
		extra: Omit<ApiTokensPageState, 'tokens' | 'formToken' | 'now'>,
	) => {
		const { user } = principalOf(request);
		const organization = (await store.getOrganization(user.orgId))?.name;
		const state = { tokens: await adminTokens.list(user.orgId), formToken, now: clock.now(), ...extra };
		return page(chrome(request, 'API tokens', 'tokens', organization, ['/console/assets/console.js']), apiTokensPage(state));
	};
	const tokensPage = async (
		request: FastifyRequest,
		reply: FastifyReply,
		extra: Omit<ApiTokensPageState, 'tokens' | 'formToken' | 'now'> = {},
		status = 200,
	) => sendPage(reply, await tokensHtml(request, guard.tokenFor(request, reply), extra), status);
	/** A post of this page's own form only; otherwise the page again, saying why and doing nothing. */
	const ownForm = (request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) =>
		guarded(request, reply, (formToken, error) => tokensHtml(request, formToken, { refusal: error }), work);

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
			if (!made.ok) {
				return tokensPage(request, reply, { values, errors: { [made.field]: made.message } }, 409);
			}
			return tokensPage(request, reply, { created: made.value });
		}),
	);

	app.post('/console/tokens/:id/revoke', { preHandler: consolePage, schema: { params: RevokeParams } }, async (request, reply) =>
		ownForm(request, reply, async () => {
			const { user } = principalOf(request);
			const revoked = await adminTokens.revoke(user, request.params.id);
			if (!revoked) {
				return tokensPage(request, reply, { notice: 'That token was revoked already.' }, 404);
			}
			return tokensPage(request, reply, { notice: `Revoked ${revoked.label}: whatever used it is refused from now on.`, revoked });
		}),
	);
};
