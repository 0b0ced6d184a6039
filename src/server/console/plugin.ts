import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Accounts, PasswordResets } from '../accounts';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import type { ServerConfig } from '../config';
import type { PolicyService } from '../policy/policy-service';
import type { SsoAdministration } from '../sso/administration';
import { PasswordSignIn } from '../sso/password-sign-in';
import type { SingleSignOn } from '../sso/single-sign-on';
import type { Store } from '../store/store';
import type { UsageService } from '../usage/usage-service';
import type { RolloutStatus } from '../policy/rollout-status';
import type { GroupsService } from '../groups/groups-service';
import { adminPageRoutes, type AdminPageRouteOptions } from './admin-page-routes';
import { accountRoutes } from './account-routes';
import { activityRoutes } from './activity-routes';
import { apiTokensRoutes } from './api-tokens-routes';
import { deviceVerificationRoutes } from './device-verification-routes';
import { devicesRoutes } from './devices-routes';
import { invitationRoutes } from './invitation-routes';
import { passwordResetRoutes } from './password-reset-routes';
import { memberPasswordRoutes } from './member-password-routes';
import { passwordNotice } from './password-notice';
import type { Mailer } from '../mail';
import { createConsoleKit } from './kit';
import { signInRoutes } from './sign-in-routes';
import { ssoConsoleRoutes } from './sso-routes';

/**
 * The built assets (the console script is bundled by esbuild): beside the service bundle in
 * dist/console-assets, or in the repository's dist/ when the service runs from source (tests).
 */
function assetDir(): string {
	const candidates = [join(__dirname, 'console-assets'), join(__dirname, '..', '..', '..', 'dist', 'console-assets')];
	return candidates.find((dir) => existsSync(join(dir, 'console.js'))) ?? join(__dirname, 'assets');
}

export interface ConsoleOptions {
	readonly accounts: Pick<Accounts, 'members' | 'sessions' | 'tokens' | 'devices' | 'adminTokens' | 'passwords'>;
	readonly sso: SingleSignOn;
	readonly passwordResets: Pick<PasswordResets, 'check' | 'redeem'>;
	readonly administration: SsoAdministration;
	readonly audit: AuditLog;
	readonly policies: Pick<PolicyService, 'current' | 'history' | 'heldAhead'>;
	readonly store: Pick<
		Store,
		| 'listUsers'
		| 'listInvitations'
		| 'findUserByEmail'
		| 'getUser'
		| 'getOrganization'
		| 'getInvitation'
		| 'identity'
		| 'tokenKeys'
		| 'passwordResets'
	>;
	readonly config: ServerConfig;
	readonly loginRateLimit: number;
	readonly usage: Pick<UsageService, 'summary'>;
	readonly groups: Pick<GroupsService, 'list' | 'groupsByMember'>;
	/** The rollout under way, if any (the Revisions page shows it). */
	readonly rolloutStatus: (orgId: string) => Promise<RolloutStatus | undefined>;
	readonly standings: AdminPageRouteOptions['standings'];
	readonly clock: Clock;
	/** E-mails people (their password changed) when SMTP is set up. */
	readonly mailer?: Mailer | undefined;
}

/**
 * The admin console's shell: security headers (a strict CSP, helmet), its static files and the
 * kit every console page uses; it registers the sign-in routes, the admin pages, RFC 8628's device
 * verification page, and the single sign-on and invitation plugins.
 */
export const consolePlugin: FastifyPluginAsyncZod<ConsoleOptions> = async (
	app,
	{
		accounts,
		policies,
		store,
		config,
		loginRateLimit,
		sso,
		passwordResets,
		administration,
		audit,
		usage,
		groups,
		rolloutStatus: statusOf,
		standings,
		clock,
		mailer,
	},
) => {
	const passwords = new PasswordSignIn(accounts.members, sso, audit, config.orgId);
	const secure = config.publicUrl.startsWith('https:');
	// Only the console sets and reads cookies on every request; registered here, its hooks stay off the
	// members' routes (the admin API reads the session cookie itself, see `identify`).
	await app.register(cookie);
	// The console's pages post HTML forms (and work without their script).
	await app.register(formbody);
	await app.register(helmet, {
		contentSecurityPolicy: {
			useDefaults: false,
			directives: {
				defaultSrc: ["'none'"],
				scriptSrc: ["'self'"],
				styleSrc: ["'self'"],
				imgSrc: ["'self'", 'data:'],
				connectSrc: ["'self'"],
				formAction: ["'self'"],
				frameAncestors: ["'none'"],
				baseUri: ["'none'"],
			},
		},
		frameguard: { action: 'deny' },
		// Same-origin referrers only: the console's own form posts then carry their Origin.
		referrerPolicy: { policy: 'same-origin' },
		// Only where browsers honour it, and only when the service is reached over https.
		strictTransportSecurity: secure ? { maxAge: 15_552_000, includeSubDomains: false } : false,
	});
	await app.register(fastifyStatic, {
		root: assetDir(),
		prefix: '/console/assets/',
		decorateReply: false,
		cacheControl: false,
		schemaHide: true,
	});
	app.addHook('onSend', async (_request, reply) => {
		// Pages and answers carry CSRF tokens and settings: never keep them in a cache (assets: revalidate).
		const type = String(reply.getHeader('content-type') ?? '');
		reply.header('cache-control', type.startsWith('text/html') || type.startsWith('application/json') ? 'no-store' : 'no-cache');
	});
	app.addHook('onRoute', (route) => {
		route.schema = { ...route.schema, hide: true };
	});

	const kit = createConsoleKit(accounts, () => config.publicUrl, secure);
	const loginLimit = { rateLimit: { max: loginRateLimit, timeWindow: '1 minute' } };
	await app.register(ssoConsoleRoutes, {
		kit,
		sso,
		administration,
		store,
		publicUrl: () => config.publicUrl,
		orgId: config.orgId,
		loginLimit,
	});

	await app.register(signInRoutes, { kit, passwords, sessions: accounts.sessions, sso, config, loginLimit });
	await app.register(adminPageRoutes, {
		kit,
		policies,
		store,
		usage,
		groups,
		publicUrl: () => config.publicUrl,
		rolloutStatus: statusOf,
		standings,
		rolesFromSso: (orgId) => sso.setsRoles(orgId),
	});
	await app.register(devicesRoutes, { kit, policies, publicUrl: () => config.publicUrl });
	await app.register(activityRoutes, { kit, audit, store });
	const notify = passwordNotice(mailer, { store, clock, log: app.log });
	await app.register(accountRoutes, { kit, passwords: accounts.passwords, audit, store, notify });
	await app.register(apiTokensRoutes, { kit, adminTokens: accounts.adminTokens, store, clock });
	await app.register(deviceVerificationRoutes, {
		kit,
		passwords,
		devices: accounts.devices,
		sso,
		sessions: accounts.sessions,
		audit,
		store,
		config,
		loginLimit,
	});
	await app.register(invitationRoutes, { kit, members: accounts.members, sso, store, config, audit, loginLimit });
	await app.register(passwordResetRoutes, { kit, passwordResets, store, config, audit, loginLimit, notify });
	await app.register(memberPasswordRoutes, { kit, passwords, changes: accounts.passwords, audit, loginLimit, notify });
};
