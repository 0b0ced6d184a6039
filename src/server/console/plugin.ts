import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { PolicySettings } from '../../policy';
import type { Accounts } from '../accounts';
import type { SignInResult } from '../accounts/members';
import { isoTime } from '../clock';
import type { AuditLog } from '../audit';
import type { ServerConfig } from '../config';
import { normalizeUserCode } from '../crypto';
import { principalOf, SESSION_COOKIE } from '../http/auth';
import { HttpError } from '../http/http-error';
import { currentOrThrow, expectedRevision, savePolicy } from '../http/policy-http';
import { invitationView, memberView, revisionView } from '../http/views';
import type { PolicyService } from '../policy-service';
import { settingsOfRevision } from '../policy-service';
import { MASK, maskSettings } from '../revision-diff';
import type { Store, UserRecord } from '../store/store';
import { page } from './html';
import type { SsoAdministration } from '../sso/administration';
import type { SingleSignOn } from '../sso/single-sign-on';
import { invitationRoutes } from './invitation-routes';
import { createConsoleKit } from './kit';
import { adminPages } from './pages';
import { signInPages, type SsoOffer } from './sign-in-pages';
import { ssoConsoleRoutes } from './sso-routes';

const consolePages = { ...adminPages, ...signInPages };

/**
 * The built assets (the console script is bundled by esbuild): beside the service bundle in
 * dist/console-assets, or in the repository's dist/ when the service runs from source (tests).
 */
function assetDir(): string {
	const candidates = [join(__dirname, 'console-assets'), join(__dirname, '..', '..', '..', 'dist', 'console-assets')];
	return candidates.find((dir) => existsSync(join(dir, 'console.js'))) ?? join(__dirname, 'assets');
}

const ConsoleSaveSchema = z.strictObject({
	settings: z.unknown(),
	/** Header names whose saved value stays: the console never receives the values themselves. */
	keepHeaderValues: z.array(z.string()).max(64).default([]),
});

export interface ConsoleOptions {
	readonly accounts: Pick<Accounts, 'members' | 'sessions' | 'tokens' | 'devices'>;
	readonly sso: SingleSignOn;
	readonly administration: SsoAdministration;
	readonly audit: AuditLog;
	readonly policies: Pick<PolicyService, 'current' | 'save' | 'history'>;
	readonly store: Pick<Store, 'listUsers' | 'listInvitations' | 'getOrganization' | 'getInvitation' | 'identity'>;
	readonly config: ServerConfig;
	readonly loginRateLimit: number;
}

/**
 * The admin console, the device-approval page and the invitation pages: server-rendered HTML under
 * a strict CSP (helmet) with the console's script and styles served as static files.
 */
export const consolePlugin: FastifyPluginAsyncZod<ConsoleOptions> = async (
	app,
	{ accounts, policies, store, config, loginRateLimit, sso, administration, audit },
) => {
	const { members, sessions, devices } = accounts;
	const secure = config.publicUrl.startsWith('https:');
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
		// Pages carry CSRF tokens and settings: never keep them in a cache.
		reply.header('cache-control', String(reply.getHeader('content-type') ?? '').startsWith('text/html') ? 'no-store' : 'no-cache');
	});
	app.addHook('onRoute', (route) => {
		route.schema = { ...route.schema, hide: true };
	});

	const kit = createConsoleKit(accounts, () => config.publicUrl, secure);
	const { sendPage, sessionPrincipal, formOf, guard, guarded, consolePage, chrome } = kit;
	const loginLimit = { rateLimit: { max: loginRateLimit, timeWindow: '1 minute' } };
	const admin = kit.admin;
	await app.register(ssoConsoleRoutes, {
		kit,
		sso,
		administration,
		audit,
		store,
		publicUrl: () => config.publicUrl,
		orgId: config.orgId,
		loginLimit,
	});

	// ── sign-in ────────────────────────────────────────────────────────────────
	const BreakGlass = z.object({ 'break-glass': z.string().optional() });
	const loginPage = (
		request: FastifyRequest,
		reply: FastifyReply,
		options: { error?: string; email?: string; breakGlass: boolean; sso: SsoOffer | undefined },
		status = 200,
	) => sendPage(reply, consolePages.login(guard.tokenFor(request, reply), options), status);
	app.get('/console/login', { schema: { querystring: BreakGlass } }, async (request, reply) =>
		loginPage(request, reply, { breakGlass: request.query['break-glass'] !== undefined, sso: await sso.offer(config.orgId) }),
	);

	app.post('/console/login', { config: loginLimit, schema: { querystring: BreakGlass } }, async (request, reply) => {
		const body = formOf(request);
		const breakGlass = request.query['break-glass'] !== undefined;
		const offer = await sso.offer(config.orgId);
		return guarded(
			request,
			reply,
			(token, error) => consolePages.login(token, { error, email: body.email, sso: offer, breakGlass }),
			async () => {
				const result = await members.checkPassword(body.email ?? '', body.password ?? '');
				const refusal = await passwordRefusal(result, reply, body.email ?? '');
				if (refusal || result.kind !== 'ok') {
					const [status, error] = refusal ?? signInRefusal(result, reply);
					return loginPage(request, reply, { error, email: body.email, breakGlass, sso: offer }, status);
				}
				const { user } = result;
				await audit.record(
					user.orgId,
					user.email,
					user.breakGlass && offer && !offer.passwordSignIn ? 'sign_in.break_glass' : 'sign_in.password',
					'ok',
					{ purpose: 'console' },
				);
				await kit.signIn(reply, user);
				return reply.redirect('/console/settings', 303);
			},
		);
	});

	/** Why a password sign-in is refused, or undefined: wrong, throttled, not an admin, or passwords are off. */
	const passwordRefusal = async (
		result: SignInResult,
		reply: FastifyReply,
		typedEmail: string,
		purpose = 'console',
	): Promise<[number, string] | undefined> => {
		if (result.kind === 'ok' && !(await sso.passwordAllowed(result.user))) {
			await audit.record(result.user.orgId, result.user.email, 'sign_in.password', 'refused', { purpose, reason: 'password_sign_in_off' });
			return [403, 'This organization signs in with single sign-on only: use the button above.'];
		}
		if (result.kind === 'ok' && (purpose === 'device' || result.user.role === 'admin')) {
			return undefined;
		}
		// The address typed, as typed (escaped where shown): who was tried is what an admin looks for.
		const actor = result.kind === 'ok' ? result.user.email : typedEmail.trim().toLowerCase().slice(0, 200) || 'unknown';
		await audit.record(config.orgId, actor, 'sign_in.password', 'refused', {
			purpose,
			reason: result.kind === 'ok' ? 'not_admin' : result.kind === 'wrong' ? 'wrong_password' : 'throttled',
		});
		return signInRefusal(result, reply);
	};

	app.post('/console/logout', async (request, reply) => {
		guard.checkOrigin(request);
		const cookie = request.cookies[SESSION_COOKIE];
		const principal = await sessionPrincipal(request);
		if (cookie && principal && formOf(request).csrf === principal.token.csrfToken) {
			await sessions.end(cookie);
		}
		reply.clearCookie(SESSION_COOKIE, { path: '/' });
		return reply.redirect('/console/login', 303);
	});

	// Someone opening the service's bare address is looking for the console.
	app.get('/', async (_request, reply) => reply.redirect('/console', 302));
	app.get('/console', async (_request, reply) => reply.redirect('/console/settings', 302));

	// ── admin pages ────────────────────────────────────────────────────────────
	app.get('/console/settings', { preHandler: consolePage }, async (request, reply) => {
		const current = await currentOrThrow(policies, principalOf(request).user.orgId);
		const settings = maskSettings(settingsOfRevision(current));
		const state = { settings, revision: current.revision, updatedBy: current.createdBy, updatedAt: isoTime(current.createdAt) };
		const options = chrome(request, 'Provider settings', 'settings', current.signed.policy.organization.name, [
			'/console/assets/console.js',
		]);
		return sendPage(reply, page(options, consolePages.settings(state)));
	});

	app.put('/console/api/policy', { preValidation: admin, schema: { body: ConsoleSaveSchema } }, async (request) => {
		const { user } = principalOf(request);
		const expected = expectedRevision(request.headers['if-match']);
		const current = await currentOrThrow(policies, user.orgId);
		const settings = restoreKeptHeaders(request.body.settings, request.body.keepHeaderValues, settingsOfRevision(current));
		const saved = await savePolicy(policies, user.orgId, settings, expected, user.email);
		return {
			revision: saved.revision,
			settings: maskSettings(settingsOfRevision(saved)),
			updatedBy: saved.createdBy,
			updatedAt: isoTime(saved.createdAt),
		};
	});

	app.get('/console/revisions', { preHandler: consolePage }, async (request, reply) => {
		const history = await policies.history(principalOf(request).user.orgId, 101);
		const rows = history.slice(0, 100).map((revision, index) => revisionView(revision, history[index + 1]));
		const options = chrome(request, 'Revisions', 'revisions', history[0]?.signed.policy.organization.name, ['/console/assets/console.js']);
		return sendPage(reply, page(options, consolePages.revisions(rows)));
	});

	app.get('/console/members', { preHandler: consolePage }, async (request, reply) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const people = (await store.listUsers(user.orgId)).map((member) => memberView(member, current.revision));
		const invitations = (await store.listInvitations(user.orgId)).map(invitationView);
		const options = chrome(request, 'Members', 'members', current.signed.policy.organization.name, ['/console/assets/console.js']);
		return sendPage(reply, page(options, consolePages.members(people, invitations, current.revision, user.id)));
	});

	// ── device approval (RFC 8628 verification URI) ────────────────────────────
	app.get('/device', { schema: { querystring: z.object({ user_code: z.string().optional() }) } }, async (request, reply) => {
		const principal = await sessionPrincipal(request);
		const userCode = request.query.user_code ? normalizeUserCode(request.query.user_code) : '';
		return sendPage(
			reply,
			consolePages.device({
				organization: config.orgName,
				serverUrl: config.publicUrl,
				formToken: guard.tokenFor(request, reply),
				userCode,
				signedInAs: principal?.user.email,
				sso: await sso.offer(config.orgId),
			}),
		);
	});

	app.post('/device', { config: loginLimit }, async (request, reply) => {
		const body = formOf(request);
		const userCode = normalizeUserCode(body.user_code ?? '');
		const signedInAs = async () => (await sessionPrincipal(request))?.user.email;
		const offer = await sso.offer(config.orgId);
		const answer = async (status: number, options: { error?: string; done?: string }) =>
			sendPage(
				reply,
				consolePages.device({
					organization: config.orgName,
					serverUrl: config.publicUrl,
					formToken: guard.tokenFor(request, reply),
					userCode,
					signedInAs: await signedInAs(),
					sso: offer,
					...options,
				}),
				status,
			);
		return guarded(
			request,
			reply,
			(formToken, error) =>
				consolePages.device({ organization: config.orgName, serverUrl: config.publicUrl, formToken, userCode, error, sso: offer }),
			async () => {
				const byPassword = Boolean(body.email);
				const result: SignInResult = byPassword
					? await members.checkPassword(body.email ?? '', body.password ?? '')
					: signedIn((await sessionPrincipal(request))?.user);
				const refusal = byPassword
					? await passwordRefusal(result, reply, body.email ?? '', 'device')
					: result.kind === 'ok'
						? undefined
						: signInRefusal(result, reply);
				if (refusal || result.kind !== 'ok') {
					const [status, error] = refusal ?? [401, 'Sign in first.'];
					return answer(status, { error });
				}
				const { user } = result;
				const device = await devices.findPending(userCode);
				if (!device) {
					return answer(400, { error: 'That code is not valid or has expired. Check the code VS Code shows, or start the sign-in again.' });
				}
				const approve = body.action !== 'deny';
				await devices.decide(device, user, approve);
				await audit.record(user.orgId, user.email, approve ? 'device.approved' : 'device.denied', 'ok', {
					via: byPassword ? 'password' : 'session',
				});
				const organization = (await store.getOrganization(user.orgId))?.name;
				return answer(200, {
					done: approve
						? `Approved. VS Code is now signed in to ${organization} as ${user.email}; you can close this page.`
						: 'Denied. VS Code will not be signed in.',
				});
			},
		);
	});
	await app.register(invitationRoutes, { kit, members, sso, store, config, loginLimit });
};

const signedIn = (user: UserRecord | undefined): SignInResult => (user ? { kind: 'ok', user } : { kind: 'wrong' });

/** The status and sentence for a refused sign-in; a throttled account is told when to try again. */
function signInRefusal(result: SignInResult, reply: FastifyReply): [number, string] {
	switch (result.kind) {
		case 'throttled':
			reply.header('retry-after', String(result.retryAfterSeconds));
			return [429, `Too many failed sign-ins for this account: try again in ${result.retryAfterSeconds} s.`];
		case 'wrong':
			return [401, 'Wrong email or password.'];
		case 'ok':
			return [401, 'Only admins can use the console.'];
	}
}

/**
 * The console never receives saved header values; for each header it left untouched it sends the
 * name in keepHeaderValues and the service puts the stored value back before validation.
 */
function restoreKeptHeaders(input: unknown, keep: string[], current: PolicySettings): unknown {
	if (!input || typeof input !== 'object' || keep.length === 0) {
		return input;
	}
	const settings = input as { provider?: { headers?: Record<string, unknown> } };
	const headers = settings.provider?.headers;
	if (!headers || typeof headers !== 'object') {
		return input;
	}
	const saved = current.provider?.headers ?? {};
	const restored: Record<string, unknown> = { ...headers };
	for (const name of keep) {
		if (name in restored && (restored[name] === '' || restored[name] === MASK)) {
			const value = saved[name];
			if (value === undefined) {
				throw new HttpError(400, 'invalid_policy', 'the policy was not saved: fix the fields named', {
					fieldErrors: [{ path: `provider.headers.${name}`, message: 'enter a value (this header has no saved value)' }],
				});
			}
			restored[name] = value;
		}
	}
	return { ...settings, provider: { ...settings.provider, headers: restored } };
}
