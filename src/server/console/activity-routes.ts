import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuditLog } from '../audit';
import { ActivityQuerySchema, auditQueryOf, nextCursor } from '../http/activity-listing';
import { principalOf } from '../http/auth';
import type { Store } from '../store/store';
import { activityPage } from './activity-page';
import { page } from './html';
import { queryKeepingGood } from './not-used';
import type { ConsoleKit } from './kit';

/** Events on one page of the console's Activity list. */
const ACTIVITY_PAGE = 200;

/** The Activity page (`/console/activity`), a page at a time, newest first. */
export const activityRoutes: FastifyPluginAsyncZod<{
	kit: ConsoleKit;
	audit: Pick<AuditLog, 'list'>;
	store: Pick<Store, 'getOrganization'>;
}> = async (app, { kit, audit, store }) => {
	const { sendPage, consolePage } = kit;

	app.get('/console/activity', { preHandler: consolePage }, async (request, reply) => {
		const { user } = principalOf(request);
		const organization = (await store.getOrganization(user.orgId))?.name;
		// A page of 200, newest first; `before` pages back. What the address asks for that cannot be used
		// (a cursor this page did not hand out, say) is named on the page, which shows the rest.
		const asked = queryKeepingGood(ActivityQuerySchema, { ...(request.query as object), limit: ACTIVITY_PAGE, after: undefined });
		const query = auditQueryOf(asked.query ?? { limit: ACTIVITY_PAGE });
		const events = await audit.list(user.orgId, query);
		return sendPage(
			reply,
			page(
				{
					...kit.chrome(request, 'Activity', 'activity', organization, ['/console/assets/console.js']),
					styles: ['/console/assets/lists.css'],
				},
				activityPage(events, { older: nextCursor(events, query), paged: query.before !== undefined, actor: query.actor }, asked.problems),
			),
		);
	});
};
