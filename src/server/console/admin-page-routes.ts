import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { queryKeepingGood } from './not-used';
import { isoTime } from '../clock';
import { principalOf } from '../http/auth';
import { currentOrThrow } from '../http/policy-http';
import { invitationView, revisionView } from '../http/views';
import { settingsOfRevision, type PolicyService, type PublishedRevision } from '../policy/policy-service';
import { restoreEffect } from '../policy/restore-effect';
import type { MemberStanding } from '../policy/member-standing';
import { maskSettings } from '../policy/revision-diff';
import type { Store } from '../store/store';
import { page } from './html';
import type { ConsoleKit } from './kit';
import { adminPages } from './pages';
import { membersOnPage, membersPage, membersPageQuery } from './members-page';
import { memberExtras, memberViews } from '../http/member-listing';
import { usagePage } from './usage-page';
import { groupsPage } from './groups-page';
import type { GroupsService } from '../groups/groups-service';
import { dayOf, periodOf, UsageQuerySchema } from '../usage/usage-query';
import type { UsageService } from '../usage/usage-service';
import type { RolloutStatus } from '../policy/rollout-status';

/** The Usage page's address: the API's filters; its grouping is the page's own (no `groupBy` to read). */
const USAGE_PAGE_QUERY = UsageQuerySchema.omit({ groupBy: true });

export interface AdminPageRouteOptions {
	readonly kit: ConsoleKit;
	readonly policies: Pick<PolicyService, 'current' | 'history' | 'heldAhead'>;
	readonly store: Pick<
		Store,
		'listUsers' | 'listInvitations' | 'findUserByEmail' | 'tokenKeys' | 'passwordResets' | 'getOrganization' | 'getUser'
	>;
	/** The issuer gateways trust for organization tokens. */
	readonly publicUrl: () => string;
	/** The rollout under way, if any. */
	readonly rolloutStatus: (orgId: string) => Promise<RolloutStatus | undefined>;
	/** Each member's groups, served revision and VS Code settings against the policy, read once per page. */
	readonly standings: (current: PublishedRevision) => Promise<MemberStanding>;
	readonly usage: Pick<UsageService, 'summary'>;
	readonly groups: Pick<GroupsService, 'list' | 'groupsByMember'>;
	/** Whether single sign-on's rules set roles (the Members page then shows them without a choice). */
	readonly rolesFromSso: (orgId: string) => Promise<boolean>;
}

/** The revision a member holds beyond this database's newest, and whose VS Code said so (see {@link PolicyService.heldAhead}). */
async function revisionHeldAhead(policies: Pick<PolicyService, 'heldAhead'>, store: Pick<Store, 'getUser'>, orgId: string) {
	const held = await policies.heldAhead(orgId);
	if (!held) {
		return undefined;
	}
	const by = (await store.getUser(held.userId))?.email ?? 'a member since removed';
	return { revision: held.revision, by, at: isoTime(held.at) };
}

/**
 * The admin's pages: provider settings, revisions, members. Saving goes through the admin API
 * (`PUT /api/v1/admin/policy`, with the session's CSRF token), the one save path there is.
 */
export const adminPageRoutes: FastifyPluginAsyncZod<AdminPageRouteOptions> = async (
	app,
	{ kit, policies, store, usage, groups, publicUrl, rolloutStatus, standings, rolesFromSso },
) => {
	const { sendPage, consolePage, chrome } = kit;
	const script = ['/console/assets/console.js'];

	app.get('/console/settings', { preHandler: consolePage }, async (request, reply) => {
		const current = await currentOrThrow(policies, principalOf(request).user.orgId);
		const settings = maskSettings(settingsOfRevision(current));
		const state = {
			settings,
			revision: current.revision,
			updatedBy: current.createdBy,
			updatedAt: isoTime(current.createdAt),
			issuer: publicUrl(),
			groups: (await groups.list(current.orgId)).map((group) => group.displayName),
			heldAhead: await revisionHeldAhead(policies, store, current.orgId),
		};
		const options = {
			...chrome(request, 'Provider settings', 'settings', current.signed.policy.organization.name, script),
			styles: ['/console/assets/settings.css'],
		};
		return sendPage(reply, page(options, adminPages.settings(state)));
	});

	app.get('/console/revisions', { preHandler: consolePage }, async (request, reply) => {
		const history = await policies.history(principalOf(request).user.orgId, 101);
		const current = history[0] && settingsOfRevision(history[0]);
		const rows = history.slice(0, 100).map((revision, index) => ({
			...revisionView(revision, history[index + 1]),
			restoreEffect: restoreEffect(current, settingsOfRevision(revision)),
		}));
		const options = chrome(request, 'Revisions', 'revisions', history[0]?.signed.policy.organization.name, script);
		return sendPage(reply, page(options, adminPages.revisions(rows, await rolloutStatus(principalOf(request).user.orgId))));
	});

	app.get('/console/members', { preHandler: consolePage }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const extras = await memberExtras(store, user.orgId, Date.now());
		const standing = await standings(current);
		const people = memberViews(await store.listUsers(user.orgId), standing, extras);
		const asked = membersPageQuery(request.query);
		const { listing, query } = membersOnPage(people, standing.groupsOf, asked.query);
		const invitations = (await store.listInvitations(user.orgId)).map(invitationView);
		const options = {
			...chrome(request, 'Members', 'members', current.signed.policy.organization.name, script),
			styles: ['/console/assets/lists.css'],
		};
		const view = {
			listing,
			query,
			problems: asked.problems,
			invitations,
			currentRevision: current.revision,
			selfId: user.id,
			groupsOf: standing.groupsOf,
			rolesFromSso: await rolesFromSso(user.orgId),
			heldAhead: (await policies.heldAhead(user.orgId))?.revision,
		};
		return sendPage(reply, page(options, membersPage(view)));
	});

	app.get('/console/usage', { preHandler: consolePage }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		// A bad field in the address falls back to its default rather than an error page; the page
		// says which field was not used and why, and the form shows what applies.
		const asked = queryKeepingGood(USAGE_PAGE_QUERY, request.query);
		const query = asked.query ?? {};
		const period = periodOf(query, Date.now());
		const { from, to } = period.ok ? period.value : (periodOf({}, Date.now()) as { ok: true; value: { from: number; to: number } }).value;
		const member = query.member?.trim().toLowerCase() ?? '';
		const found = member ? await store.findUserByEmail(user.orgId, member) : undefined;
		const problems = [
			...asked.problems,
			...(period.ok ? [] : period.errors),
			...(member && !found ? [{ path: 'member', message: `${member} is not a member of this organization` }] : []),
		];
		const userId = member ? (found?.id ?? 'nobody') : undefined;
		const summary = await usage.summary(user.orgId, { from, to, model: query.model || undefined, userId });
		const state = {
			summary,
			query: { from: dayOf(from), to: dayOf(to - 86_400_000), model: query.model ?? '', member },
			reporting: current.signed.policy.usage?.reporting === 'counts',
			problems,
		};
		const options = {
			...chrome(request, 'Usage', 'usage', current.signed.policy.organization.name, ['/console/assets/usage.js']),
			styles: ['/console/assets/lists.css', '/console/assets/usage.css'],
		};
		return sendPage(reply, page(options, usagePage(state)));
	});

	app.get('/console/groups', { preHandler: consolePage }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const options = {
			...chrome(request, 'Groups', 'groups', current.signed.policy.organization.name, script),
			styles: ['/console/assets/groups.css'],
		};
		// Secret header values never reach the page: the overlays arrive masked, as the settings page's headers do.
		const settings = maskSettings(settingsOfRevision(current));
		const overlays = {
			overlays: settings.overlays ?? [],
			overlaysMayChangeEndpoint: settings.overlaysMayChangeEndpoint === true,
			revision: current.revision,
		};
		return sendPage(reply, page(options, groupsPage(await groups.list(user.orgId), overlays)));
	});
};
