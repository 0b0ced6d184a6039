import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { etagOf, ifNoneMatchHits } from '../../policy';
import type { Accounts } from '../accounts';
import { principalOf, requireRole } from '../auth';
import type { Clock } from '../clock';
import { HttpError } from '../http-error';
import type { ServiceMetrics } from '../metrics';
import type { PolicyEvents, PolicyService, PublishedRevision } from '../policy-service';
import type { Store } from '../store/store';

export interface PolicyRouteDeps {
	accounts: Accounts;
	policies: PolicyService;
	events: PolicyEvents;
	store: Store;
	metrics: ServiceMetrics;
	clock: Clock;
	heartbeatMs: number;
	/** Open streams, so a graceful shutdown can end them. */
	streams: Set<ServerResponse>;
}

const AckSchema = z.strictObject({ revision: z.int().min(1) });

export async function currentOrThrow(policies: PolicyService, orgId: string): Promise<PublishedRevision> {
	const current = await policies.current(orgId);
	if (!current) {
		throw new HttpError(404, 'no_policy', 'this organization has no policy yet');
	}
	return current;
}

function writeEvent(stream: ServerResponse, revision: PublishedRevision): void {
	stream.write(`id: ${revision.revision}\nevent: policy\ndata: ${revision.json}\n\n`);
}

export function policyRoutes(app: FastifyInstance, deps: PolicyRouteDeps): void {
	const { accounts, policies, events, store, metrics, clock } = deps;
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
		await store.recordApplied(user.id, parsed.data.revision, new Date(clock.now()).toISOString());
		metrics.revisionsApplied.inc({ org: user.orgId });
		return reply.code(204).send();
	});

	app.get('/api/v1/policy/events', { preHandler: signedIn }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const lastEventId = Number(request.headers['last-event-id']);
		store.recordSeen(user.id, new Date(clock.now()).toISOString()).catch((error: unknown) => request.log.warn({ err: error }, 'could not record last-seen time'));

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
			writeEvent(stream, current);
			metrics.eventsSent.inc();
		}

		deps.streams.add(stream);
		metrics.sseSubscribers.inc();
		const stopRevisions = events.onRevision((revision) => {
			if (revision.orgId === user.orgId) {
				writeEvent(stream, revision);
				metrics.eventsSent.inc();
			}
		});
		const stopRevoked = events.onUserRevoked((userId) => {
			if (userId === user.id) {
				stream.end('event: revoked\ndata: {}\n\n');
			}
		});
		const heartbeat = setInterval(() => stream.write(': heartbeat\n\n'), deps.heartbeatMs);
		heartbeat.unref();
		stream.once('close', () => {
			clearInterval(heartbeat);
			stopRevisions();
			stopRevoked();
			deps.streams.delete(stream);
			metrics.sseSubscribers.dec();
		});
	});
}
