import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { etagOf, negotiateSchemaVersion, PolicySettingsSchema, SCHEMA_HEADER } from '../../policy';
import type { AuditLog } from '../audit';
import { actorOf, principalOf, requireRole, type Authenticators } from '../http/auth';
import { currentOrThrow, expectedRevision, INVALID_POLICY_MESSAGE, savePolicy, withKeptValuesOrThrow } from '../http/policy-http';
import { jsonForSchema } from '../policy/revisions';
import { ErrorSchema, sendStoredJson, signedPolicyResponse } from '../http/schemas';
import { revisionView, RevisionViewSchema } from '../http/views';
import { HttpError } from '../http/http-error';
import { HELD_AHEAD_HEADER } from '../policy/held-ahead';
import { settingsOfRevision, type PolicyService } from '../policy/policy-service';
import { canaryOf } from '../policy/rollouts';
import type { GroupStore } from '../store/group-store';

export interface AdminRouteOptions {
	readonly auth: Authenticators;
	readonly policies: Pick<PolicyService, 'current' | 'save' | 'history' | 'revision' | 'withKeptValues' | 'heldAhead'>;
	readonly audit: Pick<AuditLog, 'record'>;
	/** The organization's groups, which a canary names. */
	readonly canaryGroups: Pick<GroupStore, 'findGroupByName' | 'listGroups'>;
}

const bearer = [{ bearerAuth: [] }];

/** Headers whose saved value stays: sent empty, because the console never receives secret values. */
const KeepHeaderValuesQuery = z.object({
	keepHeaderValues: z
		.union([z.string(), z.array(z.string())])
		.transform((value) => (Array.isArray(value) ? value : [value]))
		.pipe(z.array(z.string().max(256)).max(64))
		.default([])
		.describe('Header names (repeat the parameter) whose value is sent empty and keeps the saved value'),
	keepOverlays: z
		.enum(['true', 'false'])
		.transform((value) => value === 'true')
		.default(false)
		.describe('true: the saved group overlays (and whether they may change the endpoint) stay as they are, whatever the body says'),
});

/** Admin endpoints under /api/v1/admin for the policy: save (the one save path), history, restore. */
export const adminRoutes: FastifyPluginAsyncZod<AdminRouteOptions> = async (app, { auth, policies, audit, canaryGroups }) => {
	// Who may call is settled before the body is read: strangers learn nothing from a 400, 413 or 415.
	app.addHook('onRequest', requireRole(auth, 'admin'));

	app.put(
		'/policy',
		{
			config: { invalidRequest: { code: 'invalid_policy', message: INVALID_POLICY_MESSAGE } },
			schema: {
				summary: 'Save a new policy revision',
				security: bearer,
				headers: z.looseObject({ 'if-match': z.string().optional().describe('The quoted revision edited, or *') }),
				querystring: KeepHeaderValuesQuery.extend({
					rollout: z
						.string()
						.regex(/^(group:.{1,200}|percent:([1-9]|[1-9][0-9]))$/, 'must be group:<name> or percent:<1–99>')
						.optional()
						.describe('Save for a canary first: a group (group:Research) or a share of members (percent:10); absent: everyone'),
				}),
				body: PolicySettingsSchema,
				response: { 200: signedPolicyResponse, 400: ErrorSchema, 412: ErrorSchema, 428: ErrorSchema },
			},
			// Before validation: a kept header arrives empty and gets its saved value back; kept overlays are put back.
			preValidation: async (request) => {
				// An invalid list is left to the route's own validation, next, which names the field.
				const query = KeepHeaderValuesQuery.safeParse(request.query);
				const keep = query.success ? { headers: query.data.keepHeaderValues, overlays: query.data.keepOverlays } : { headers: [] };
				request.body = (await withKeptValuesOrThrow(policies, principalOf(request).user.orgId, request.body, keep)) as typeof request.body;
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const expected = expectedRevision(request.headers['if-match']);
			const rollout = request.query.rollout;
			const choice = await canaryOf(user.orgId, rollout, canaryGroups);
			if (!choice.ok) {
				throw new HttpError(400, 'invalid_request', choice.message, { fieldErrors: [{ path: 'rollout', message: choice.message }] });
			}
			const { canary } = choice;
			const saved = await savePolicy(policies, user.orgId, request.body, expected, actorOf(principal), canary);
			if (canary) {
				await audit.record(user.orgId, actorOf(principal), 'policy.rollout_started', 'ok', {
					revision: String(saved.revision),
					canary: 'group' in canary ? `group:${canary.group}` : rollout!,
				});
			}
			reply.header('etag', etagOf(saved.revision));
			return sendStoredJson(reply, saved.json);
		},
	);

	app.get(
		'/policy',
		{
			schema: {
				summary:
					"The organization's newest revision as saved, signed: its group overlays and any canary included (what policy as code reads; a member's GET /api/v1/policy is their own document)",
				security: bearer,
				headers: z.looseObject({
					[SCHEMA_HEADER]: z.string().optional().describe('The newest policy schema version the reader understands (default 1)'),
				}),
				response: { 200: signedPolicyResponse, 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			const current = await currentOrThrow(policies, user.orgId);
			const version = negotiateSchemaVersion(request.headers[SCHEMA_HEADER] as string | undefined);
			reply.header('etag', etagOf(current.revision, version)).header(SCHEMA_HEADER, String(version)).header('vary', SCHEMA_HEADER);
			// A restored backup: policy as code saves even an unchanged file, which moves those members on.
			const held = await policies.heldAhead(user.orgId);
			if (held) {
				reply.header(HELD_AHEAD_HEADER, String(held.revision));
			}
			return sendStoredJson(reply, jsonForSchema(current, version));
		},
	);

	app.get(
		'/policy/revisions',
		{
			schema: {
				summary: 'Revision history with field diffs (header values masked), newest first',
				security: bearer,
				querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
				response: { 200: z.object({ revisions: z.array(RevisionViewSchema) }) },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const limit = request.query.limit;
			const history = await policies.history(user.orgId, limit + 1);
			return { revisions: history.slice(0, limit).map((revision, index) => revisionView(revision, history[index + 1])) };
		},
	);

	app.post(
		'/policy/revisions/:revision/restore',
		{
			config: { invalidRequest: { code: 'invalid_policy', message: INVALID_POLICY_MESSAGE } },
			schema: {
				summary: "Save an earlier revision's settings as a new revision (its header values included)",
				security: bearer,
				params: z.object({ revision: z.coerce.number().int().min(1) }),
				headers: z.looseObject({ 'if-match': z.string().optional().describe('The quoted current revision, or *') }),
				response: { 200: signedPolicyResponse, 400: ErrorSchema, 404: ErrorSchema, 412: ErrorSchema, 428: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const expected = expectedRevision(request.headers['if-match']);
			const earlier = await policies.revision(user.orgId, request.params.revision);
			if (!earlier) {
				throw new HttpError(404, 'no_revision', `there is no revision ${request.params.revision}`);
			}
			// Saved again through the same rules: a revision that no longer passes them is refused, naming the fields.
			const saved = await savePolicy(policies, user.orgId, settingsOfRevision(earlier), expected, actorOf(principal));
			reply.header('etag', etagOf(saved.revision));
			return sendStoredJson(reply, saved.json);
		},
	);
};
