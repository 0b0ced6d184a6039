import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { HttpError } from '../http/http-error';
import { ErrorSchema } from '../http/schemas';
import type { ServiceMetrics } from '../metrics';
import type { Store } from '../store/store';

export interface OpsRouteOptions {
	readonly store: Pick<Store, 'ping' | 'kind' | 'notificationsHealthy'>;
	readonly metrics: ServiceMetrics;
	readonly publicUrl: () => string;
	readonly isClosing: () => boolean;
	/** When the last write was refused for a full disk (until a write succeeds again). */
	readonly storageFullSince: () => number | undefined;
	/** When set, /metrics answers only requests bearing it. */
	readonly metricsToken: string | undefined;
}

/** For operators and tooling: liveness, readiness, Prometheus metrics and the OpenAPI document. */
export const opsRoutes: FastifyPluginAsyncZod<OpsRouteOptions> = async (
	app,
	{ store, metrics, publicUrl, isClosing, metricsToken, storageFullSince },
) => {
	const expected = metricsToken && Buffer.from(`Bearer ${metricsToken}`);
	const mayReadMetrics = (authorization: string | undefined) => {
		if (!expected) {
			return true;
		}
		const given = Buffer.from(authorization ?? '');
		return given.length === expected.length && timingSafeEqual(given, expected);
	};
	app.get(
		'/healthz',
		{ schema: { summary: 'Liveness', tags: ['operations'], security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
		async () => ({ status: 'ok' as const }),
	);

	app.get(
		'/readyz',
		{
			schema: {
				summary: "Readiness: the store answers, other instances' changes arrive, and the service is not shutting down",
				tags: ['operations'],
				security: [],
				response: {
					200: z.object({ status: z.literal('ready'), store: z.string() }),
					503: z.object({ status: z.string(), reason: z.string().optional() }),
				},
			},
		},
		async (_request, reply) => {
			if (isClosing()) {
				return reply.code(503).send({ status: 'closing' });
			}
			const full = storageFullSince();
			if (full !== undefined) {
				return reply.code(503).send({
					status: 'degraded',
					reason: `the storage is full: writes are refused since ${new Date(full).toISOString()} (reads are served)`,
				});
			}
			if (store.notificationsHealthy?.() === false) {
				return reply.code(503).send({
					status: 'degraded',
					reason: "the PostgreSQL notification connection is down: other instances' saves and revocations are not arriving",
				});
			}
			await store.ping();
			return { status: 'ready' as const, store: store.kind };
		},
	);

	app.get(
		'/metrics',
		{
			schema: {
				summary: 'Prometheus metrics',
				tags: ['operations'],
				// Open unless the service was started with --metrics-token.
				security: [{}, { metricsToken: [] }],
				response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } }, 401: ErrorSchema },
			},
		},
		async (request, reply) => {
			if (!mayReadMetrics(request.headers.authorization)) {
				reply.header('www-authenticate', 'Bearer realm="org-policy-metrics"');
				throw new HttpError(401, 'unauthorized', 'the metrics need the bearer token set with --metrics-token');
			}
			return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
		},
	);

	app.get(
		'/api/v1/openapi.json',
		{ schema: { summary: 'This OpenAPI 3.1 document, generated from the route schemas', tags: ['operations'], security: [] } },
		async () => ({ ...app.swagger(), servers: [{ url: publicUrl() }] }),
	);
};
