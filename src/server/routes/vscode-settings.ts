import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { Clock } from '../clock';
import { principalOf, requireVsCodeSignIn, type Authenticators } from '../http/auth';
import { ErrorSchema } from '../http/schemas';
import type { Store } from '../store/store';
import { signInOfCall } from './member-call';

const SettingValue = z.string().max(400, 'must be at most 400 characters').nullable();

/**
 * POST /api/v1/policy/vscode-settings: a member's VS Code says what its utility-model settings hold
 * (only those the policy points it at), so admins see a member who changed them on any machine.
 */
export const vscodeSettingsRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	store: Pick<Store, 'signIns'>;
	clock: Clock;
}> = async (app, { auth, store, clock }) => {
	app.post(
		'/vscode-settings',
		{
			onRequest: requireVsCodeSignIn(auth),
			schema: {
				summary: "Report this member's VS Code utility-model settings (chat.utilityModel, chat.utilitySmallModel)",
				security: [{ bearerAuth: [] }],
				body: z.strictObject({
					supported: z.boolean().describe('Whether this VS Code has the settings at all'),
					utilityModel: SettingValue,
					utilitySmallModel: SettingValue,
				}),
				response: { 204: z.null(), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const signIn = signInOfCall(principal, request.headers['user-agent']);
			// Each VS Code is judged apart; a token from before sign-ins had families names none (it renews into one).
			if (signIn) {
				await store.signIns.recordVsCodeSettings({ ...signIn, userId: principal.user.id }, { ...request.body, reportedAt: clock.now() });
			}
			return reply.code(204).send(null);
		},
	);
};
