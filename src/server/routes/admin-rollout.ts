import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { Clock } from '../clock';
import { actorOf, principalOf, requireRole, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { ErrorSchema } from '../http/schemas';
import type { PolicyService } from '../policy/policy-service';
import type { RolloutEnd, Rollouts } from '../policy/rollouts';
import { rolloutStatus } from '../policy/rollout-status';
import type { Store } from '../store/store';
import type { UsageService } from '../usage/usage-service';
import type { GroupsService } from '../groups/groups-service';

const SideSchema = z.object({
	members: z.number(),
	applied: z.number().describe('Members who reported applying the revision they are served'),
	extensionTooOld: z.number().describe('Members whose extension understands too old a policy schema to be given that revision'),
	requests: z.number().describe('Requests reported under that revision (usage reporting on)'),
	failed: z.number(),
});

const StatusSchema = z.object({
	revision: z.number(),
	stable: z.number().describe('What members outside the canary keep meanwhile'),
	canary: z.object({ group: z.string().optional(), percent: z.number().optional() }),
	startedBy: z.string(),
	canaryMembers: SideSchema,
	everyoneElse: SideSchema,
});

/**
 * The rollout under way, under /api/v1/admin/rollout: how the canary compares with everyone else
 * (adoption, and with usage reporting its request error rate), and promoting or rolling it back.
 */
export const adminRolloutRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	policies: Pick<PolicyService, 'current'>;
	rollouts: Pick<Rollouts, 'active' | 'stableOf' | 'promote' | 'rollBack'>;
	store: Pick<Store, 'listUsers' | 'signIns'>;
	groups: Pick<GroupsService, 'groupsByMember'>;
	usage: Pick<UsageService, 'summary'>;
	clock: Pick<Clock, 'now'>;
	/** Tells this instance's streams (and, through the store, the others') that a rollout ended. */
	ended: (orgId: string) => Promise<void>;
}> = async (app, { auth, policies, rollouts, store, groups, usage, clock, ended }) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));
	const bearer = [{ bearerAuth: [] }];

	app.get(
		'/rollout',
		{
			schema: {
				summary: 'The rollout under way, canary against everyone else',
				security: bearer,
				response: { 200: StatusSchema, 404: ErrorSchema },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const status = await rolloutStatus({ policies, rollouts, store, groups, usage, clock }, user.orgId);
			if (!status) {
				throw new HttpError(404, 'not_found', 'no revision is rolling out');
			}
			return status;
		},
	);

	const end = async (orgId: string, result: RolloutEnd) => {
		if (!result.ok) {
			throw new HttpError(result.status, result.status === 404 ? 'not_found' : 'conflict', result.message);
		}
		await ended(orgId);
		return { revision: result.revision.revision };
	};
	const EndSchema = z.object({ revision: z.number().describe('The revision everyone is served now') });

	app.post(
		'/rollout/promote',
		{
			schema: {
				summary: 'Promote the rollout: everyone gets its revision',
				security: bearer,
				response: { 200: EndSchema, 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request) => {
			const principal = principalOf(request);
			const { user } = principal;
			return end(user.orgId, await rollouts.promote(user.orgId, actorOf(principal)));
		},
	);

	app.post(
		'/rollout/rollback',
		{
			schema: {
				summary: 'Roll the rollout back: the revision before is saved again, as a new revision, for everyone',
				security: bearer,
				response: { 200: EndSchema, 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request) => {
			const principal = principalOf(request);
			const { user } = principal;
			return end(user.orgId, await rollouts.rollBack(user.orgId, actorOf(principal)));
		},
	);
};
