import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { BudgetSchema, formatFieldError, UsageReportSchema, UsageStandingSchema, type FieldError } from '../../policy';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import { actorOf, principalOf, requireRole, requireVsCodeSignIn, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { ErrorSchema } from '../http/schemas';
import type { Store } from '../store/store';
import { USAGE_DIMENSIONS, type UsageDimension } from '../store/usage-store';
import { groupView, periodOf, UsageQuerySchema, usageCsv, type UsageQuery } from '../usage/usage-query';
import type { UsageService } from '../usage/usage-service';
import { answersNotKept } from '../http/private-answers';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

export interface UsageRouteOptions {
	readonly auth: Authenticators;
	readonly usage: UsageService;
	readonly store: Pick<Store, 'findUserByEmail' | 'listUsers'> & { readonly usage: Pick<Store['usage'], 'listBudgetOverrides'> };
	readonly clock: Clock;
	/** Reports one member may send a minute (a member's extension sends about one). */
	readonly reportsPerMinute: number;
	/** Where a changed allowance is written with the admin who changed it. */
	readonly audit: Pick<AuditLog, 'record'>;
}

const bearer = [{ bearerAuth: [] }];
const GroupSchema = z.record(z.string(), z.union([z.string(), z.number()])).describe('Dimensions asked for, then the sums');
/** A 400 whose message names each field, as schema validation's do. */
const invalid = (errors: readonly FieldError[]) =>
	new HttpError(400, 'invalid_request', errors.map(formatFieldError).join('; '), { fieldErrors: errors });

/**
 * Usage under /api/v1: members report their counts (`POST /usage`) and read what was reported about
 * them (`GET /usage/me`); admins read the aggregates (`/admin/usage`, its summary and CSV).
 */
export const usageRoutes: FastifyPluginAsyncZod<UsageRouteOptions> = async (
	app,
	{ auth, usage, store, clock, reportsPerMinute, audit },
) => {
	const signedIn = requireRole(auth);
	const admin = requireRole(auth, 'admin');
	answersNotKept(app);

	/** The filter a query asks for, within the caller's organization; a bad period or member is a 400 naming the field. */
	const filterOf = async (request: FastifyRequest, query: Pick<UsageQuery, 'from' | 'to' | 'model' | 'member'>, onlyUser?: string) => {
		const { user } = principalOf(request);
		const period = periodOf(query, clock.now());
		if (!period.ok) {
			throw invalid(period.errors);
		}
		let userId = onlyUser;
		if (query.member !== undefined && onlyUser === undefined) {
			userId = (await store.findUserByEmail(user.orgId, query.member.trim().toLowerCase()))?.id;
			if (!userId) {
				throw invalid([{ path: 'member', message: 'is not a member of this organization' }]);
			}
		}
		return { orgId: user.orgId, filter: { ...period.value, model: query.model, userId } };
	};
	const emails = async (orgId: string) => {
		const byId = new Map((await store.listUsers(orgId)).map((user) => [user.id, user.email]));
		return (id: string) => byId.get(id) ?? '(removed member)';
	};

	app.post(
		'/usage',
		{
			onRequest: requireVsCodeSignIn(auth),
			// After sign-in, so the limit is the member's own and not their network's.
			config: {
				rateLimit: {
					max: reportsPerMinute,
					timeWindow: '1 minute',
					hook: 'preHandler',
					keyGenerator: (request) => principalOf(request).user.id,
				},
			},
			schema: {
				summary:
					'Report usage counts (hourly buckets) for the signed-in member; a report id already counted is accepted and not counted again',
				security: bearer,
				body: UsageReportSchema,
				response: { 200: z.object({ duplicate: z.boolean() }), 400: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const result = await usage.ingest(user.orgId, user.id, request.body);
			if (!result.ok) {
				throw invalid(result.errors);
			}
			return { duplicate: result.duplicate };
		},
	);

	app.get(
		'/usage/me',
		{
			onRequest: signedIn,
			schema: {
				summary: 'What was reported about the signed-in member, by day, model and outcome',
				security: bearer,
				querystring: UsageQuerySchema.pick({ from: true, to: true }),
				response: { 200: z.object({ from: z.string(), to: z.string(), groups: z.array(GroupSchema) }), 400: ErrorSchema },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const { orgId, filter } = await filterOf(request, request.query, user.id);
			const groups = await usage.aggregate(orgId, filter, ['day', 'model', 'api', 'caller', 'outcome', 'revision']);
			return {
				from: new Date(filter.from).toISOString(),
				to: new Date(filter.to).toISOString(),
				groups: groups.map((group) => groupView(group, () => user.email)),
			};
		},
	);

	app.get(
		'/admin/usage',
		{
			onRequest: admin,
			schema: {
				summary: 'Usage sums for a period, grouped by the dimensions asked for (largest request count first)',
				security: bearer,
				querystring: UsageQuerySchema,
				response: { 200: z.object({ from: z.string(), to: z.string(), groups: z.array(GroupSchema) }), 400: ErrorSchema },
			},
		},
		async (request) => {
			const { orgId, filter } = await filterOf(request, request.query);
			const emailOf = await emails(orgId);
			const groups = await usage.aggregate(orgId, filter, request.query.groupBy);
			return {
				from: new Date(filter.from).toISOString(),
				to: new Date(filter.to).toISOString(),
				groups: groups.map((group) => groupView(group, emailOf)),
			};
		},
	);

	app.get(
		'/admin/usage.csv',
		{
			onRequest: admin,
			schema: {
				summary: 'The same sums as CSV (RFC 4180), one row per group',
				security: bearer,
				querystring: UsageQuerySchema,
				response: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, 400: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { orgId, filter } = await filterOf(request, request.query);
			const emailOf = await emails(orgId);
			const by: readonly UsageDimension[] = request.query.groupBy.length ? request.query.groupBy : ['day', 'model', 'outcome'];
			const groups = await usage.aggregate(orgId, filter, by);
			const order = USAGE_DIMENSIONS.filter((dimension) => by.includes(dimension)).map((dimension) =>
				dimension === 'user' ? 'member' : dimension,
			);
			return reply
				.header('content-type', 'text/csv; charset=utf-8')
				.header('content-disposition', `attachment; filename="usage-${new Date(filter.from).toISOString().slice(0, 10)}.csv"`)
				.send(
					usageCsv(
						groups.map((group) => groupView(group, emailOf)),
						order,
					),
				);
		},
	);

	app.get(
		'/usage/standing',
		{
			onRequest: signedIn,
			schema: {
				summary: "The signed-in member's tokens this month against their allowance",
				security: bearer,
				response: { 200: UsageStandingSchema },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			return usage.standing(user.orgId, user.id);
		},
	);

	app.get(
		'/admin/usage/budgets',
		{
			onRequest: admin,
			schema: {
				summary: "Members' own monthly allowances (set apart from the policy's)",
				security: bearer,
				response: {
					200: z.object({
						budgets: z.array(z.object({ member: z.string(), monthlyTokens: z.number(), updatedAt: z.string(), updatedBy: z.string() })),
					}),
				},
			},
		},
		async (request) => {
			const orgId = principalOf(request).user.orgId;
			const emailOf = await emails(orgId);
			const overrides = await store.usage.listBudgetOverrides(orgId);
			return {
				budgets: overrides.map((override) => ({
					member: emailOf(override.userId),
					monthlyTokens: override.monthlyTokens,
					updatedAt: new Date(override.updatedAt).toISOString(),
					updatedBy: override.updatedBy,
				})),
			};
		},
	);

	app.put(
		'/admin/usage/budgets/:member',
		{
			onRequest: admin,
			schema: {
				summary: "Sets one member's own monthly allowance (null: the policy's again)",
				security: bearer,
				params: z.object({ member: z.string().max(EMAIL_MAX_LENGTH).describe("The member's e-mail") }),
				body: z.strictObject({ monthlyTokens: BudgetSchema.shape.monthlyTokens.nullable() }),
				response: { 204: z.null(), 400: ErrorSchema, 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const member = await store.findUserByEmail(user.orgId, request.params.member.trim().toLowerCase());
			if (!member || !(await usage.setBudget(user.orgId, member.id, request.body.monthlyTokens, actorOf(principal)))) {
				throw new HttpError(404, 'not_found', `no member ${request.params.member} in this organization`);
			}
			await audit.record(user.orgId, actorOf(principal), 'usage.budget_set', 'ok', {
				member: member.email,
				monthlyTokens: request.body.monthlyTokens ?? "the policy's",
			});
			return reply.code(204).send(null);
		},
	);
};
