import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { Clock } from '../clock';
import { principalOf, requireRole, type Authenticators } from '../http/auth';
import { ErrorSchema } from '../http/schemas';
import type { Store } from '../store/store';

const SettingValue = z.string().max(400, 'must be at most 400 characters').nullable();

/**
 * POST /api/v1/policy/vscode-settings: a member's VS Code says what its utility-model settings hold
 * (only those the policy points it at), so admins see a member who changed them.
 */
export const vscodeSettingsRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	store: Pick<Store, 'memberSettings'>;
	clock: Clock;
}> = async (app, { auth, store, clock }) => {
	app.post(
		'/vscode-settings',
		{
			onRequest: requireRole(auth),
			schema: {
				summary: "Report this member's VS Code utility-model settings (chat.utilityModel, chat.utilitySmallModel)",
				security: [{ bearerAuth: [] }],
				body: z.strictObject({
					supported: z.boolean().describe('Whether this VS Code has the settings at all'),
					utilityModel: SettingValue,
					utilitySmallModel: SettingValue,
				}),
				response: { 204: z.null(), 400: ErrorSchema, 401: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			await store.memberSettings.record({ orgId: user.orgId, userId: user.id, ...request.body, reportedAt: clock.now() });
			return reply.code(204).send(null);
		},
	);
};
