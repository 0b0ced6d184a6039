import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { HEARTBEAT_HEADER, negotiateSchemaVersion, PlacementSchema, SCHEMA_HEADER, type Placement } from '../../policy';
import type { Clock } from '../clock';
import { principalOf, requireRole, requireVsCodeSignIn, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { currentOrThrow, noPolicy } from '../http/policy-http';
import { ErrorSchema, sendNotModified, sendStoredJson, signedPolicyResponse } from '../http/schemas';
import type { ServiceMetrics } from '../metrics';
import type { PolicyService } from '../policy/policy-service';
import { servedPolicy } from '../policy/served-policy';
import { hasOverlays, type MemberPolicy, type PolicyVariants } from '../policy/variants';
import { takesRollout, type Rollouts } from '../policy/rollouts';
import { revisionFrame, type StreamHub } from '../policy/stream-hub';
import type { MemberReport, Store } from '../store/store';
import { isVsCodeSignIn, type Principal } from '../accounts';
import { signInOfCall } from './member-call';
import { policyReadAnswer } from './policy-read';
import type { RevisionsHeldAhead } from '../policy/held-ahead';

export interface PolicyRouteOptions {
	readonly auth: Authenticators;
	readonly policies: Pick<PolicyService, 'current' | 'newestInMemory'>;
	readonly store: Pick<Store, 'recordApplied' | 'recordSeen'>;
	readonly metrics: ServiceMetrics;
	readonly clock: Clock;
	readonly hub: StreamHub;
	/** What each member is served of a revision (the organization's document, or their groups' overlays applied). */
	readonly variants: Pick<PolicyVariants, 'forMember' | 'forGroups'>;
	/** The names of a member's groups (kept with their open stream). */
	readonly groupsOf: (userId: string) => Promise<string[]>;
	/** Which revision a member is served while one rolls out to a canary. */
	readonly rollouts: Pick<Rollouts, 'served' | 'active'>;
	/** How often the event stream sends a heartbeat; members reconnect after missing about three. */
	readonly heartbeatSeconds: number;
	/** Event streams one member may hold open here at once; 0: no limit. */
	readonly maxStreamsPerMember: number;
	/** Members whose reads name a revision newer than any here (the database was restored from a backup). */
	readonly heldAhead: Pick<RevisionsHeldAhead, 'note'>;
}

const bearer = [{ bearerAuth: [] }];

/** What members read under /api/v1/policy: the signed policy, its event stream, and the applied-revision report. */
export const policyRoutes: FastifyPluginAsyncZod<PolicyRouteOptions> = async (
	app,
	{ auth, policies, store, metrics, clock, hub, heartbeatSeconds, maxStreamsPerMember, variants, groupsOf, rollouts, heldAhead },
) => {
	const signedIn = requireRole(auth);
	const reading = { policies, rollouts, variants, groupsOf };
	const readDeps = { policies, heldAhead };

	app.get(
		'',
		{
			onRequest: signedIn,
			schema: {
				summary: "The member's organization policy, signed; ETag is the revision",
				security: bearer,
				headers: z.looseObject({
					'if-none-match': z.string().optional(),
					[SCHEMA_HEADER]: z.string().optional().describe('The newest policy schema version the member understands (default 1)'),
				}),
				response: { 200: signedPolicyResponse, 304: z.null().describe('Unchanged'), 401: ErrorSchema },
			},
		},
		// Not async: the usual read is answered without a promise (see servedPolicy).
		(request, reply) => {
			const principal = principalOf(request);
			const ifNoneMatch = request.headers['if-none-match'];
			const send = (served: MemberPolicy | undefined): void => {
				if (!served) {
					throw noPolicy();
				}
				const answer = policyReadAnswer(readDeps, principal, served, {
					ifNoneMatch,
					schema: request.headers[SCHEMA_HEADER] as string | undefined,
				});
				reply.headers(answer.headers);
				if (answer.body === undefined) {
					sendNotModified(reply);
				} else {
					sendStoredJson(reply, answer.body);
				}
			};
			const served = servedPolicy(reading, principal.user, ifNoneMatch);
			return served instanceof Promise ? served.then(send) : send(served);
		},
	);

	app.get(
		'/placement',
		{
			onRequest: signedIn,
			schema: {
				summary: "The member's groups, the overlays they apply, and any rollout under way (informational: not signed)",
				security: bearer,
				response: { 200: PlacementSchema, 401: ErrorSchema },
			},
		},
		async (request): Promise<Placement> => {
			const { user } = principalOf(request);
			const newest = await currentOrThrow(policies, user.orgId);
			const groups = await groupsOf(user.id);
			const spec = await rollouts.active(newest);
			// The revision they reported applying: a member who took a canary's keeps it (see `takesRollout`).
			const held = user.appliedRevision ?? undefined;
			const current = await rollouts.served(newest, user.id, async () => groups, held);
			const served = await variants.forGroups(current, groups);
			return {
				revision: current.revision,
				groups,
				appliedOverlays: [...served.applied],
				rollout: spec
					? {
							revision: newest.revision,
							stable: spec.stable,
							canary: spec.group !== undefined ? `group ${spec.group}` : `${spec.percent ?? 0}% of members`,
							inCanary: takesRollout(spec, newest, user.id, groups, held),
						}
					: null,
			};
		},
	);

	app.post(
		'/applied',
		{
			onRequest: requireVsCodeSignIn(auth),
			schema: {
				summary: 'Report the revision this member applied',
				security: bearer,
				body: z.strictObject({ revision: z.int().min(1) }),
				response: { 204: z.null(), 400: ErrorSchema, 403: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const current = await currentOrThrow(policies, user.orgId);
			if (request.body.revision > current.revision) {
				throw new HttpError(
					400,
					'invalid_request',
					`revision: ${request.body.revision} does not exist yet (newest is ${current.revision})`,
				);
			}
			// Every member request names the schema versions its extension understands (none: version 1).
			const version = negotiateSchemaVersion(request.headers[SCHEMA_HEADER] as string | undefined);
			await store.recordApplied({
				...memberReport(principal, clock.now(), version, request.headers['user-agent']),
				revision: request.body.revision,
			});
			metrics.revisionsApplied.inc({ org: user.orgId });
			return reply.code(204).send(null);
		},
	);

	app.get(
		'/events',
		{
			// A stream has no HEAD: fastify's automatic one would open a stream and never end it.
			exposeHeadRoute: false,
			onRequest: signedIn,
			schema: {
				summary: 'Server-Sent Events: the current signed policy, then every new revision (id = revision), and a heartbeat',
				security: bearer,
				headers: z.looseObject({ 'last-event-id': z.string().optional(), [SCHEMA_HEADER]: z.string().optional() }),
				response: {
					200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
					429: ErrorSchema,
				},
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user, token } = principal;
			const newest = await currentOrThrow(policies, user.orgId);
			const lastEventId = Number(request.headers['last-event-id']);
			const version = negotiateSchemaVersion(request.headers[SCHEMA_HEADER] as string | undefined);
			// A script watching with an admin API token (or the console) is not one of the member's machines.
			if (isVsCodeSignIn(principal)) {
				heldAhead.note(user.orgId, user.id, lastEventId, newest.revision);
				store
					.recordSeen(memberReport(principal, clock.now(), version, request.headers['user-agent']))
					.catch((error: unknown) => request.log.warn({ err: error }, 'could not record last-seen time'));
			}
			const groups = await groupsOf(user.id);
			// The revision the member holds, as far as it exists: it decides whether they keep a rollout's.
			const held = Number.isInteger(lastEventId) && lastEventId > 0 ? Math.min(lastEventId, newest.revision) : 0;
			const current = await rollouts.served(newest, user.id, async () => groups, held);
			const served = await variants.forGroups(current, groups);
			// Checked after the last await, so no other stream of theirs can open in between.
			if (maxStreamsPerMember > 0 && hub.openFor(user.id) >= maxStreamsPerMember) {
				reply.header('retry-after', '60');
				throw new HttpError(
					429,
					'too_many_streams',
					`this account already has ${maxStreamsPerMember} policy event streams open here, the most allowed: close VS Code windows you no longer use (each holds one)`,
				);
			}

			reply.hijack();
			const stream = reply.raw;
			stream.writeHead(200, {
				'content-type': 'text/event-stream; charset=utf-8',
				'cache-control': 'no-cache, no-transform',
				connection: 'keep-alive',
				'x-accel-buffering': 'no',
				[SCHEMA_HEADER]: String(version),
				[HEARTBEAT_HEADER]: String(heartbeatSeconds),
			});
			stream.write('retry: 2000\n\n');
			// With group overlays, what a member is served of a revision they have may differ now (their
			// groups changed while away): they are sent it again, and keep it only if it differs.
			if (!(Number.isInteger(lastEventId) && lastEventId >= current.revision && !hasOverlays(current))) {
				stream.write(revisionFrame(served, version));
				metrics.eventsSent.inc();
			}
			hub.add(
				user.orgId,
				user.id,
				stream,
				{
					version,
					token: { hash: token.tokenHash, familyId: token.familyId, expiresAt: token.expiresAt },
					groups,
					held: Math.max(held, current.revision),
				},
				clock.now(),
			);
		},
	);
};

/** What a member's call tells of them: when, which schema their extension reads, and on which sign-in (its own machine) running what. */
function memberReport(principal: Principal, at: number, policySchema: number, userAgent: string | undefined): MemberReport {
	const signIn = signInOfCall(principal, userAgent);
	return { userId: principal.user.id, at, policySchema, ...(signIn ? { signIn } : {}) };
}
