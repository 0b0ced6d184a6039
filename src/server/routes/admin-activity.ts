import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { AuditLog } from '../audit';
import { ActivityEventSchema, activityEventView, ActivityQuerySchema, auditQueryOf, nextCursor } from '../http/activity-listing';
import { principalOf, requireRole, type Authenticators } from '../http/auth';
import { ErrorSchema } from '../http/schemas';

/**
 * The activity list under /api/v1/admin/activity, for a SIEM or a script: paged back with `before`,
 * followed with `after` (oldest first, always a cursor to go on from).
 */
export const adminActivityRoutes: FastifyPluginAsyncZod<{ auth: Authenticators; audit: Pick<AuditLog, 'list'> }> = async (
	app,
	{ auth, audit },
) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));
	app.get(
		'/activity',
		{
			schema: {
				summary: "The organization's activity list: sign-ins, members and roles, groups, rollouts, allowances, tokens, provisioning",
				security: [{ bearerAuth: [] }],
				querystring: ActivityQuerySchema,
				response: {
					200: z.object({
						events: z.array(ActivityEventSchema),
						next: z.string().optional().describe('The cursor to pass as the same parameter (`before`, or `after`) for what follows'),
					}),
					400: ErrorSchema,
				},
			},
		},
		async (request) => {
			const query = auditQueryOf(request.query);
			const events = await audit.list(principalOf(request).user.orgId, query);
			const next = nextCursor(events, query);
			return { events: events.map(activityEventView), ...(next ? { next } : {}) };
		},
	);
};
