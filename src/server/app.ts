import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { installHttpPlumbing } from './http/plumbing';
import { consoleMissPage } from './console/miss-page';
import { createAccounts, DEFAULT_TIMINGS, type AccountTimings, type Accounts } from './accounts';
import { bootstrap, type BootstrapResult } from './bootstrap';
import { systemClock, type Clock } from './clock';
import type { ServerConfig } from './config';
import { consolePlugin } from './console/plugin';
import { sessionCookieName } from './http/auth';
import { smtpMailer, type InvitationMailer } from './mail';
import { ServiceMetrics } from './metrics';
import { Keyring, type KeyCustodyOptions } from './signing/keyring';
import { readSigningKeyFile } from './signing/signer';
import { PolicyEvents, PolicyService } from './policy/policy-service';
import { oauthRoutes } from './routes/oauth';
import { opsRoutes } from './routes/ops';
import { policyRoutes } from './routes/policy';
import { scimRoutes } from './routes/scim';
import { usageRoutes } from './routes/usage';
import { UsageService } from './usage/usage-service';
import { AuditLog } from './audit';
import { SsoAdministration } from './sso/administration';
import { OpenIdRelyingParty, type RelyingParty } from './sso/oidc';
import { ScimUsers } from './sso/scim-users';
import { ScimGroups } from './groups/scim-groups';
import { GroupsService } from './groups/groups-service';
import { schemaRoutes } from './routes/schema';
import { wellKnownRoutes } from './routes/organization-token-routes';
import { adminApi } from './routes/admin-api';
import { createOrganizationTokens } from './org-tokens';
import { SingleSignOn } from './sso/single-sign-on';
import { StreamHub } from './policy/stream-hub';
import { PolicyVariants } from './policy/variants';
import { Rollouts } from './policy/rollouts';
import { memberStandings } from './policy/member-standing';
import { vscodeSettingsRoutes } from './routes/vscode-settings';
import { rolloutStatus } from './policy/rollout-status';
import { regroupStreams } from './groups/regroup';
import { followOtherInstances, purgeHourly } from './lifecycle';
import type { Store } from './store/store';

export interface AppOptions {
	config: ServerConfig;
	store: Store;
	clock?: Clock;
	timings?: Partial<AccountTimings>;
	logger?: FastifyServerOptions['logger'];
	/** Login attempts per IP per minute; tests lower it. */
	loginRateLimit?: number;
	/**
	 * A signer kept outside the database for the configured organization (a KMS, for embedders);
	 * without it, `--signing-key-file` is read, and without that the key stays in the database.
	 */
	externalSigner?: KeyCustodyOptions['external'];
	/** Sends invitation e-mails; without it, `--smtp-url` is used, and without that nothing is e-mailed. */
	mailer?: InvitationMailer;
	/** The OpenID Connect relying party (`openid-client`); embedders may wrap it. */
	relyingParty?: RelyingParty;
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
const PURGE_GRACE_MS = 24 * 3600_000;

/** The composition root: builds the services once and hands each route plugin what it uses. */
export async function buildApp(options: AppOptions): Promise<PolicyApp> {
	const { config, store } = options;
	const clock = options.clock ?? systemClock;
	const app = Fastify({
		logger: options.logger ?? false,
		bodyLimit: BODY_LIMIT_BYTES,
		trustProxy: config.trustProxy,
		forceCloseConnections: 'idle',
	}).withTypeProvider<ZodTypeProvider>();
	const events = new PolicyEvents();
	const metrics = new ServiceMetrics();
	const keyring = new Keyring(store, clock, {
		external: options.externalSigner ?? externalSignerOf(config),
		overlapMs: config.keyOverlapDays * 86_400_000,
	});
	const policies = new PolicyService(store, events, clock, keyring);
	const audit = new AuditLog(store.identity, clock, app.log);
	const accounts = createAccounts(
		store,
		events,
		clock,
		{ ...DEFAULT_TIMINGS, ...options.timings },
		(orgId) => policies.signingKey(orgId),
		audit,
	);
	const otlp = config.otlpMetricsUrl
		? (await import('./usage/otlp-metrics')).otlpUsageMetrics(config.otlpMetricsUrl, config.otlpMetricsIntervalSeconds, '1.0.0')
		: undefined;
	const usage = new UsageService(store, policies, clock, (counts) => {
		metrics.recordUsage(counts);
		otlp?.record(counts);
	});
	const groupNames = async (userId: string) => (await store.groups.groupsOf(userId)).map((group) => group.displayName);
	const variants = new PolicyVariants({
		keysFor: (orgId) => keyring.keysFor(orgId),
		groupsOf: groupNames,
		onSigned: () => metrics.effectiveDocumentsSigned.inc(),
	});
	const hub = new StreamHub(events, metrics, config.heartbeatSeconds * 1000, variants);
	const rollouts = new Rollouts(store, policies, clock, audit);
	// A rollout ended (here, or on another instance): promoted, the streams outside its canary get it.
	const rolloutEnded = async (orgId: string) => {
		rollouts.forget(orgId);
		const current = await policies.current(orgId);
		if (current?.rollout && (await store.rolloutOutcome(orgId, current.revision))?.outcome === 'promoted') {
			await hub.promote(current);
		}
	};
	const auth = {
		tokens: accounts.tokens,
		sessions: accounts.sessions,
		sessionCookie: sessionCookieName(config.publicUrl.startsWith('https:')),
	};
	const publicUrl = () => config.publicUrl;
	const organizationTokens = createOrganizationTokens({ store, clock, orgId: config.orgId, policies, tokens: accounts.tokens, publicUrl });
	const relyingParty = options.relyingParty ?? new OpenIdRelyingParty(clock);
	const sso = new SingleSignOn({
		identity: store.identity,
		users: store,
		members: accounts.members,
		relyingParty,
		clock,
		audit,
		redirectUri: () => `${config.publicUrl}/console/sso/callback`,
		groups: store.groups,
		// A claim that changed a member's groups changes what their open streams are served.
		groupsChanged: (orgId) => regroup(orgId),
	});
	const administration = new SsoAdministration(sso, store.identity, clock, audit, relyingParty);
	// Members whose groups changed get the document their new groups make, on their open streams.
	const regroup = (orgId: string) =>
		void regroupStreams(orgId, { policies, groups, hub }).catch((error: unknown) =>
			app.log.warn({ err: error }, 'could not regroup streams'),
		);
	const groups: GroupsService = new GroupsService(store.groups, store, clock, audit, regroup);
	const standings = memberStandings({ rollouts, groups, store });
	const scimGroups = new ScimGroups(store.groups, store, clock, audit, (kind, id) => `${config.publicUrl}/scim/v2/${kind}/${id}`, regroup);
	const scimUsers = new ScimUsers(store, store.identity, accounts.members, clock, audit, (id) => `${config.publicUrl}/scim/v2/Users/${id}`);
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
		prefix: '/api/v1/policy',
		auth,
		policies,
		store,
		metrics,
		clock,
		hub,
		heartbeatSeconds: config.heartbeatSeconds,
		variants,
		groupsOf: groupNames,
		rollouts,
	});
	await app.register(vscodeSettingsRoutes, { prefix: '/api/v1/policy', auth, store, clock });
	await app.register(schemaRoutes, { prefix: '/api/v1/schema', publicUrl });
	await app.register(usageRoutes, { prefix: '/api/v1', auth, usage, store, clock, reportsPerMinute: config.usageReportsPerMinute });
	const mailer = options.mailer ?? (config.smtpUrl && config.smtpFrom ? smtpMailer(config.smtpUrl, config.smtpFrom) : undefined);
	await app.register(adminApi, {
		prefix: '/api/v1/admin',
		auth,
		policies,
		store,
		groups,
		members: accounts.members,
		tokens: accounts.tokens,
		clock,
		audit,
		publicUrl,
		mailer,
		tokenKeys: organizationTokens.keys,
		rollouts,
		usage,
		rolloutEnded,
		standings,
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
		administration,
		audit,
		usage,
		groups,
		rolloutStatus: (orgId) => rolloutStatus({ policies, rollouts, store, groups, usage }, orgId),
		standings,
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

function externalSignerOf(config: ServerConfig): KeyCustodyOptions['external'] {
	if (!config.signingKeyFile) {
		return undefined;
	}
	return {
		orgId: config.orgId,
		signer: readSigningKeyFile(config.signingKeyFile, '--signing-key-file (ORG_POLICY_SIGNING_KEY_FILE)'),
		previous: config.previousSigningKeyFile
			? readSigningKeyFile(config.previousSigningKeyFile, '--previous-signing-key-file (ORG_POLICY_PREVIOUS_SIGNING_KEY_FILE)')
			: undefined,
	};
}
