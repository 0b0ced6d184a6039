import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { etagOf, ifNoneMatchHits } from '../../policy';
import type { Accounts } from '../accounts';
import { principalOf, requireRole } from '../auth';
import type { Clock } from '../clock';
import { HttpError } from '../http-error';
import type { ServiceMetrics } from '../metrics';
import type { PolicyService, PublishedRevision } from '../policy-service';
import { revisionFrame, type StreamHub } from '../stream-hub';
import type { Store } from '../store/store';

export interface PolicyRouteDeps {
	accounts: Accounts;
	policies: PolicyService;
	store: Store;
	metrics: ServiceMetrics;
	clock: Clock;
	hub: StreamHub;
}

const AckSchema = z.strictObject({ revision: z.int().min(1) });

export async function currentOrThrow(policies: PolicyService, orgId: string): Promise<PublishedRevision> {
	const current = await policies.current(orgId);
	if (!current) {
		throw new HttpError(404, 'no_policy', 'this organization has no policy yet');
	}
	return current;
}

export function policyRoutes(app: FastifyInstance, deps: PolicyRouteDeps): void {
	const { accounts, policies, store, metrics, clock } = deps;
	const signedIn = requireRole(accounts);

	app.get('/api/v1/policy', { preHandler: signedIn }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		reply.header('etag', etagOf(current.revision)).header('cache-control', 'private, no-cache');
		if (ifNoneMatchHits(request.headers['if-none-match'], current.revision)) {
			return reply.code(304).send();
		}
		return reply.type('application/json; charset=utf-8').send(current.json);
	});

	app.post('/api/v1/policy/applied', { preHandler: signedIn }, async (request, reply) => {
		const { user } = principalOf(request);
		const parsed = AckSchema.safeParse(request.body);
		if (!parsed.success) {
			throw new HttpError(400, 'invalid_request', 'revision: must be a whole number of at least 1');
		}
		const current = await currentOrThrow(policies, user.orgId);
		if (parsed.data.revision > current.revision) {
			throw new HttpError(400, 'invalid_request', `revision: ${parsed.data.revision} does not exist yet (newest is ${current.revision})`);
		}
		await store.recordApplied(user.id, parsed.data.revision, clock.now());
		metrics.revisionsApplied.inc({ org: user.orgId });
		return reply.code(204).send();
	});

	app.get('/api/v1/policy/events', { preHandler: signedIn }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const lastEventId = Number(request.headers['last-event-id']);
		store.recordSeen(user.id, clock.now()).catch((error: unknown) => request.log.warn({ err: error }, 'could not record last-seen time'));

		reply.hijack();
		const stream = reply.raw;
		stream.writeHead(200, {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache, no-transform',
			connection: 'keep-alive',
			'x-accel-buffering': 'no',
		});
		stream.write('retry: 2000\n\n');
		if (!(Number.isInteger(lastEventId) && lastEventId >= current.revision)) {
			stream.write(revisionFrame(current));
			metrics.eventsSent.inc();
		}

		deps.hub.add(user.orgId, user.id, stream);
	});
}
