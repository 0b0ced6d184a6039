import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { effectiveDocument, OverlaysSchema, settingsOf, type PolicyDocument } from '../../policy';
import { principalOf, requireRole, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { currentOrThrow, expectedRevision, savePolicy, withKeptValuesOrThrow } from '../http/policy-http';
import { ErrorSchema, sendStoredJson, signedPolicyResponse } from '../http/schemas';
import type { PolicyService } from '../policy/policy-service';
import { inCanary, type Rollouts } from '../policy/rollouts';
import { diffSettings, maskSettings } from '../policy/revision-diff';
import { describeChanges } from '../policy/revision-words';
import type { Store } from '../store/store';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

const ChangeSchema = z.object({ path: z.string(), before: z.string().optional(), after: z.string().optional() });

/**
 * What a member (or any member of a group) is served: the revision (a member outside a rollout's
 * canary keeps the one before), the overlays that apply, in order, the provider they make (header
 * values masked), and how it differs from the organization's policy. Under
 * /api/v1/admin/policy/effective.
 */
export const adminEffectiveRoutes: FastifyPluginAsyncZod<{
	auth: Authenticators;
	policies: Pick<PolicyService, 'current' | 'save' | 'withKeptValues'>;
	store: Pick<Store, 'findUserByEmail' | 'groups'>;
	rollouts: Pick<Rollouts, 'served' | 'active' | 'stableOf'>;
}> = async (app, { auth, policies, store, rollouts }) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));

	app.put(
		'/policy/overlays',
		{
			schema: {
				summary: "Replace the policy's group overlays (in the order given), keeping everything else as saved",
				security: [{ bearerAuth: [] }],
				headers: z.looseObject({ 'if-match': z.string().optional().describe('The quoted revision edited, or *') }),
				body: z.strictObject({
					overlays: OverlaysSchema,
					overlaysMayChangeEndpoint: z.boolean('must be true or false').optional().describe('absent: as saved'),
				}),
				response: { 200: signedPolicyResponse, 400: ErrorSchema, 409: ErrorSchema, 412: ErrorSchema, 428: ErrorSchema },
			},
			// Before validation: an overlay header sent empty (the console never receives secret values) keeps its saved value.
			preValidation: async (request) => {
				request.body = (await withKeptValuesOrThrow(policies, principalOf(request).user.orgId, request.body, {
					headers: [],
				})) as typeof request.body;
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			const expected = expectedRevision(request.headers['if-match']);
			const current = await currentOrThrow(policies, user.orgId);
			// The saved settings themselves (secret header values included), so nothing else changes.
			const {
				overlays: _before,
				overlaysMayChangeEndpoint: savedChoice,
				...settings
			} = settingsOf(current.signed.policy as PolicyDocument);
			const { overlays, overlaysMayChangeEndpoint = savedChoice } = request.body;
			const saved = await savePolicy(
				policies,
				user.orgId,
				{
					...settings,
					...(overlays.length ? { overlays } : {}),
					...(overlaysMayChangeEndpoint !== undefined ? { overlaysMayChangeEndpoint } : {}),
				},
				expected,
				user.email,
			);
			return sendStoredJson(reply, saved.json);
		},
	);
	app.get(
		'/policy/effective',
		{
			schema: {
				summary: "A member's or a group's effective policy: the overlays applied and the difference from the organization's",
				security: [{ bearerAuth: [] }],
				querystring: z
					.object({
						member: z.string().max(EMAIL_MAX_LENGTH).optional().describe("A member's e-mail address"),
						group: z.string().max(200).optional().describe("A group's name: what any member of that group alone is served"),
					})
					.refine(
						(query) => (query.member === undefined) !== (query.group === undefined),
						'give either member or group (one of them, not both)',
					),
				response: {
					200: z.object({
						revision: z.number(),
						groups: z.array(z.string()).describe("The member's groups (or the group asked about)"),
						appliedOverlays: z.array(z.string()),
						provider: z.record(z.string(), z.unknown()).optional(),
						changes: z.array(ChangeSchema).describe("How it differs from the organization's policy"),
						summary: z.array(z.string()).describe('The same differences in the console’s words'),
					}),
					400: ErrorSchema,
					404: ErrorSchema,
				},
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const newest = await currentOrThrow(policies, user.orgId);
			let groups: string[];
			let current = newest;
			if (request.query.member !== undefined) {
				const member = await store.findUserByEmail(user.orgId, request.query.member.trim().toLowerCase());
				if (!member) {
					throw new HttpError(404, 'not_found', `member: ${request.query.member} is not a member of this organization`);
				}
				groups = (await store.groups.groupsOf(member.id)).map((group) => group.displayName);
				// While a revision rolls out, a member outside its canary is served the one before.
				current = await rollouts.served(newest, member.id, async () => groups, member.appliedRevision ?? undefined);
			} else {
				groups = [request.query.group!];
				// While a revision rolls out to a group, any other group's members keep the one before (a
				// share of members is no group's: the newest is shown).
				const spec = await rollouts.active(newest);
				if (spec?.group !== undefined && !inCanary(spec, newest.orgId, '', groups)) {
					current = await rollouts.stableOf(newest.orgId, spec.stable);
				}
			}
			const base = current.signed.policy as PolicyDocument;
			const effective = effectiveDocument(base, groups);
			const { overlays: _overlays, overlaysMayChangeEndpoint: _endpoint, ...baseSettings } = settingsOf(base);
			const effectiveSettings = settingsOf(effective);
			const changes = diffSettings(baseSettings, effectiveSettings);
			return {
				revision: current.revision,
				groups,
				appliedOverlays: effective.appliedOverlays ?? [],
				...(effective.provider ? { provider: maskSettings(effectiveSettings).provider as Record<string, unknown> } : {}),
				changes,
				summary: describeChanges(changes),
			};
		},
	);
};
