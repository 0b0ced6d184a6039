import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Accounts, DEFAULT_TIMINGS, OAuthError, type AccountTimings } from './accounts';
import { bootstrap, type BootstrapResult } from './bootstrap';
import { systemClock, type Clock } from './clock';
import type { ServerConfig } from './config';
import { consoleRoutes } from './console/routes';
import { HttpError } from './http-error';
import { ServiceMetrics } from './metrics';
import { PolicyEvents, PolicyService } from './policy-service';
import { StreamHub } from './stream-hub';
import { adminRoutes } from './routes/admin';
import { oauthRoutes } from './routes/oauth';
import { opsRoutes } from './routes/ops';
import { policyRoutes } from './routes/policy';
import type { Store } from './store/store';

export interface AppOptions {
	config: ServerConfig;
	store: Store;
	clock?: Clock;
	timings?: Partial<AccountTimings>;
	logger?: FastifyServerOptions['logger'];
	/** Login attempts per IP per minute; tests lower it. */
	loginRateLimit?: number;
}

export interface PolicyApp {
	app: FastifyInstance;
	accounts: Accounts;
	policies: PolicyService;
	events: PolicyEvents;
	bootstrap: BootstrapResult;
}

export const BODY_LIMIT_BYTES = 256 * 1024;

export async function buildApp(options: AppOptions): Promise<PolicyApp> {
	const { config, store } = options;
	const clock = options.clock ?? systemClock;
	const app = Fastify({
		logger: options.logger ?? false,
		bodyLimit: BODY_LIMIT_BYTES,
		trustProxy: config.trustProxy,
		forceCloseConnections: 'idle',
	});
	const events = new PolicyEvents();
	const metrics = new ServiceMetrics();
	const policies = new PolicyService(store, events, clock);
	const accounts = new Accounts(store, events, clock, { ...DEFAULT_TIMINGS, ...options.timings }, (orgId) => policies.signingKey(orgId));
	const hub = new StreamHub(events, metrics, config.heartbeatSeconds * 1000);
	let closing = false;

	await app.register(cookie);
	await app.register(formbody);
	await app.register(rateLimit, { global: false });

	app.setErrorHandler((error, request, reply) => {
		if (error instanceof OAuthError) {
			return reply.code(error.statusCode).send({ error: error.code, error_description: error.message });
		}
		if (error instanceof HttpError) {
			for (const [name, value] of Object.entries(error.extra.headers ?? {})) {
				reply.header(name, value);
			}
			return reply.code(error.statusCode).send({
				error: error.code,
				message: error.message,
				...(error.extra.fieldErrors ? { fieldErrors: error.extra.fieldErrors } : {}),
				...error.extra.details,
			});
		}
		const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
		if (status >= 500) {
			request.log.error({ err: error }, 'request failed');
			return reply.code(500).send({ error: 'internal', message: 'internal error; see the service log' });
		}
		const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 429 ? 'rate_limited' : 'invalid_request';
		const message = status === 413 ? `the body is larger than ${BODY_LIMIT_BYTES} bytes` : (error as Error).message;
		return reply.code(status).send({ error: code, message });
	});
	app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` }));

	app.addHook('onResponse', async (request, reply) => {
		metrics.requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
	});
	app.addHook('preClose', async () => {
		closing = true;
		hub.endAll();
		hub.dispose();
	});
	const stopExternal = store.onExternalChange?.((change) => {
		if (change.kind === 'revision') {
			policies.refresh(change.orgId).catch((error: unknown) => app.log.error({ err: error }, 'could not read a revision saved by another instance'));
		} else {
			accounts.forgetPrincipals();
			if (change.userId) {
				events.publishUserRevoked(change.userId);
			}
		}
	});
	app.addHook('onClose', async () => stopExternal?.());
	events.onRevision((revision) => {
		metrics.currentRevision.set({ org: revision.orgId }, revision.revision);
		metrics.revisionsPublished.inc({ org: revision.orgId });
	});

	const publicUrl = () => config.publicUrl;
	oauthRoutes(app, accounts, publicUrl);
	policyRoutes(app, { accounts, policies, store, metrics, clock, hub });
	adminRoutes(app, { accounts, policies, store, publicUrl });
	opsRoutes(app, { store, metrics, publicUrl, isClosing: () => closing });
	consoleRoutes(app, { accounts, policies, store, config, loginRateLimit: options.loginRateLimit ?? 10 });

	const bootstrapped = await bootstrap(store, accounts, clock, config);
	for (const org of await store.listOrganizations()) {
		const current = await policies.current(org.id);
		if (current) {
			metrics.currentRevision.set({ org: org.id }, current.revision);
		}
	}
	return { app, accounts, policies, events, bootstrap: bootstrapped };
}
