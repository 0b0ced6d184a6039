import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Accounts } from './accounts';
import { bootstrap, type BootstrapResult } from './bootstrap';
import { DAY_MS, systemClock, type Clock } from './clock';
import { consoleMissPage } from './console/miss-page';
import { consolePlugin } from './console/plugin';
import { sessionCookieName } from './http/auth';
import { answerUndecodableAddress, answerUnreadableRequest } from './http/framework-answers';
import { installHttpPlumbing } from './http/plumbing';
import { ShortcutServer } from './http/shortcut-server';
import { followOtherInstances, purgeHourly } from './lifecycle';
import { smtpMailer, type Mailer } from './mail';
import { rolloutStatus } from './policy/rollout-status';
import type { PolicyEvents, PolicyService } from './policy/policy-service';
import { adminApi } from './routes/admin-api';
import { oauthRoutes } from './routes/oauth';
import { opsRoutes } from './routes/ops';
import { wellKnownRoutes } from './routes/organization-token-routes';
import { policyRoutes } from './routes/policy';
import { policyReadShortcut } from './routes/policy-read';
import { schemaRoutes } from './routes/schema';
import { scimRoutes } from './routes/scim';
import { usageRoutes } from './routes/usage';
import { vscodeSettingsRoutes } from './routes/vscode-settings';
import { buildServices, type ServiceOptions } from './services';
import { boundGracefulClose } from './http/bounded-close';

export interface AppOptions extends Omit<ServiceOptions, 'clock' | 'log'> {
	clock?: Clock;
	logger?: FastifyServerOptions['logger'];
	/** Login attempts per IP per minute; tests lower it. */
	loginRateLimit?: number;
	/** Sends invitation and password reset e-mails; without it, `--smtp-url` is used, and without that nothing is e-mailed. */
	mailer?: Mailer;
}

export interface PolicyApp {
	app: FastifyInstance;
	accounts: Accounts;
	policies: PolicyService;
	events: PolicyEvents;
	bootstrap: BootstrapResult;
	/** Every route registered, and whether the OpenAPI document leaves it out (console pages do). */
	routes: readonly { method: string; url: string; hidden: boolean }[];
}

export const BODY_LIMIT_BYTES = 256 * 1024;
const MEMBER_POLICY_PATH = '/api/v1/policy';
/** The log levels at which fastify logs every request (at info). */
const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);
const PURGE_GRACE_MS = DAY_MS;

/** The composition root: the services (see {@link buildServices}), the HTTP plumbing, and each route plugin with what it uses. */
export async function buildApp(options: AppOptions): Promise<PolicyApp> {
	const { config, store } = options;
	const clock = options.clock ?? systemClock;
	const shortcuts = new ShortcutServer();
	const app = Fastify({
		serverFactory: shortcuts.factory,
		logger: options.logger ?? false,
		bodyLimit: BODY_LIMIT_BYTES,
		trustProxy: config.trustProxy,
		forceCloseConnections: 'idle',
		frameworkErrors: answerUndecodableAddress,
		clientErrorHandler: answerUnreadableRequest,
	}).withTypeProvider<ZodTypeProvider>();
	const services = await buildServices({ ...options, clock, log: app.log });
	const { events, metrics, policies, accounts, usage, variants, groupNames, hub, heldAhead, rollouts, rolloutEnded, organizationTokens } =
		services;
	const { sso, administration, groups, regroup, standings, scimGroups, scimUsers, audit, keyring, otlp } = services;
	const auth = {
		tokens: accounts.tokens,
		sessions: accounts.sessions,
		sessionCookie: sessionCookieName(config.publicUrl.startsWith('https:')),
	};
	const publicUrl = () => config.publicUrl;
	let closing = false;

	const registered: { method: string | string[]; url: string; schema?: { hide?: boolean } }[] = [];
	// Hooks of plugins registered later (the console hides its pages) still change these options.
	app.addHook('onRoute', (route) => void registered.push(route));
	const { storageFullSince } = await installHttpPlumbing(app, {
		clock,
		metrics,
		bodyLimit: BODY_LIMIT_BYTES,
		pageForMiss: consoleMissPage,
	});
	boundGracefulClose(app, config.shutdownGraceSeconds * 1000);
	app.addHook('preClose', async () => {
		closing = true;
		hub.endAll();
		hub.dispose();
	});
	followOtherInstances(app, {
		store,
		policies,
		tokens: accounts.tokens,
		events,
		hub,
		regroup,
		rolloutEnded: (orgId) => void rolloutEnded(orgId).catch((error: unknown) => app.log.warn({ err: error }, 'could not follow a rollout')),
	});
	app.addHook('onClose', async () => otlp?.shutdown());
	// Expired device codes, invitations and tokens are deleted a day after they expire, hourly; and
	// usage older than the retention.
	purgeHourly(app, () =>
		Promise.all([
			store.purgeExpired(clock.now() - PURGE_GRACE_MS),
			usage.purge(config.usageRetentionDays),
			organizationTokens.keys.purge(),
		]),
	);
	events.onRevision((revision) => {
		metrics.currentRevision.set({ org: revision.orgId }, revision.revision);
		metrics.revisionsPublished.inc({ org: revision.orgId });
	});

	await app.register(oauthRoutes, {
		prefix: '/oauth',
		devices: accounts.devices,
		tokens: accounts.tokens,
		organizationTokens: organizationTokens.issuer,
		publicUrl,
		deviceAuthorizationsPerMinute: config.deviceAuthorizationsPerMinute,
	});
	await app.register(wellKnownRoutes, { publicUrl, keys: organizationTokens.keys });
	await app.register(policyRoutes, {
		prefix: MEMBER_POLICY_PATH,
		auth,
		policies,
		store,
		metrics,
		clock,
		hub,
		heartbeatSeconds: config.heartbeatSeconds,
		maxStreamsPerMember: config.maxStreamsPerMember,
		variants,
		groupsOf: groupNames,
		rollouts,
		heldAhead,
	});
	// Nearly every member's read is answered from memory before fastify's router (see policyReadShortcut).
	shortcuts.use(
		policyReadShortcut(
			{ tokens: accounts.tokens, policies, heldAhead, isClosing: () => closing, logsRequests: () => REQUEST_LOG_LEVELS.has(app.log.level) },
			MEMBER_POLICY_PATH,
		),
	);
	await app.register(vscodeSettingsRoutes, { prefix: MEMBER_POLICY_PATH, auth, store, clock });
	await app.register(schemaRoutes, { prefix: '/api/v1/schema', publicUrl });
	await app.register(usageRoutes, { prefix: '/api/v1', auth, usage, store, clock, reportsPerMinute: config.usageReportsPerMinute, audit });
	const mailer = options.mailer ?? (config.smtpUrl && config.smtpFrom ? smtpMailer(config.smtpUrl, config.smtpFrom) : undefined);
	await app.register(adminApi, {
		prefix: '/api/v1/admin',
		auth,
		policies,
		store,
		groups,
		members: accounts.members,
		adminTokens: accounts.adminTokens,
		passwordResets: services.passwordResets,
		clock,
		audit,
		publicUrl,
		mailer,
		tokenKeys: organizationTokens.keys,
		rollouts,
		usage,
		rolloutEnded,
		standings,
		rolesFromSso: (orgId) => sso.setsRoles(orgId),
	});
	await app.register(opsRoutes, {
		store,
		metrics,
		publicUrl,
		isClosing: () => closing,
		metricsToken: config.metricsToken,
		storageFullSince,
	});
	await app.register(consolePlugin, {
		accounts,
		policies,
		store,
		config,
		loginRateLimit: options.loginRateLimit ?? 10,
		sso,
		passwordResets: services.passwordResets,
		administration,
		audit,
		usage,
		groups,
		rolloutStatus: (orgId) => rolloutStatus({ policies, rollouts, store, groups, usage, clock }, orgId),
		standings,
		clock,
		mailer,
	});
	await app.register(scimRoutes, { prefix: '/scim/v2', users: scimUsers, groups: scimGroups, identity: store.identity, publicUrl });

	const bootstrapped = await bootstrap({ store, members: accounts.members, clock, keyring, policies, sso: administration }, config);
	for (const org of await store.listOrganizations()) {
		const current = await policies.current(org.id);
		if (current) {
			metrics.currentRevision.set({ org: org.id }, current.revision);
		}
	}
	const routes = registered.flatMap((route) =>
		[route.method].flat().map((method) => ({ method, url: route.url, hidden: Boolean(route.schema?.hide) })),
	);
	return { app, accounts, policies, events, bootstrap: bootstrapped, routes };
}
