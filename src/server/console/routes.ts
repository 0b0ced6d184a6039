import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { PolicySettings } from '../../policy';
import type { Accounts, Principal } from '../accounts';
import { principalOf, requireRole, SESSION_COOKIE } from '../auth';
import { isoTime } from '../clock';
import type { ServerConfig } from '../config';
import { normalizeUserCode } from '../crypto';
import { HttpError } from '../http-error';
import type { PolicyService } from '../policy-service';
import { settingsOfRevision } from '../policy-service';
import { maskSettings, MASK } from '../revision-diff';
import { consoleViews } from './views';
import { expectedRevision, memberView, revisionView, savePolicy } from '../routes/admin';
import { currentOrThrow } from '../routes/policy';
import type { Store } from '../store/store';
import { html, page } from './html';

const CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
].join('; ');

/** Assets live beside the bundle in dist/console-assets, or in the source tree under tsx. */
function assetDir(): string {
	const candidates = [join(__dirname, 'console-assets'), join(__dirname, 'assets')];
	return candidates.find((dir) => existsSync(join(dir, 'console.js'))) ?? candidates[1]!;
}

const ConsoleSaveSchema = z.strictObject({
	settings: z.unknown(),
	/** Header names whose saved value stays: the console never receives the values themselves. */
	keepHeaderValues: z.array(z.string()).max(64).default([]),
});

interface ConsoleDeps {
	accounts: Accounts;
	policies: PolicyService;
	store: Store;
	config: ServerConfig;
	loginRateLimit: number;
}

export function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
	const { accounts, policies, store, config } = deps;
	const secure = config.publicUrl.startsWith('https:');
	const assets = assetDir();
	const assetCache = new Map<string, string>();
	const admin = requireRole(accounts, 'admin');

	app.addHook('onSend', async (request, reply) => {
		const url = request.url;
		if (url.startsWith('/console') || url.startsWith('/device') || url.startsWith('/invite')) {
			reply.header('content-security-policy', CSP);
			reply.header('x-content-type-options', 'nosniff');
			reply.header('referrer-policy', 'no-referrer');
			reply.header('x-frame-options', 'DENY');
		}
	});

	for (const [name, type] of [
		['console.js', 'text/javascript; charset=utf-8'],
		['console.css', 'text/css; charset=utf-8'],
	] as const) {
		app.get(`/console/assets/${name}`, async (_request, reply) => {
			let body = assetCache.get(name);
			if (body === undefined) {
				body = readFileSync(join(assets, name), 'utf8');
				assetCache.set(name, body);
			}
			return reply.type(type).header('cache-control', 'no-cache').send(body);
		});
	}

	const setSession = (reply: FastifyReply, cookie: string) =>
		reply.setCookie(SESSION_COOKIE, cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: 12 * 3600 });

	const sessionPrincipal = async (request: FastifyRequest): Promise<Principal | undefined> => {
		const cookie = request.cookies[SESSION_COOKIE];
		return cookie ? accounts.resolveSession(cookie) : undefined;
	};

	const loginLimit = { rateLimit: { max: deps.loginRateLimit, timeWindow: '1 minute' } };

	// ── sign-in ────────────────────────────────────────────────────────────────
	const loginPage = (error?: string, email = '') =>
		page(
			{ title: 'Sign in' },
			html`<section class="card narrow">
				<h1>Sign in to the admin console</h1>
				${error ? html`<p class="error" role="alert">${error}</p>` : ''}
				<form method="post" action="/console/login">
					<label>Email <input type="email" name="email" id="email" autocomplete="username" required value="${email}"></label>
					<label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
					<button type="submit" id="sign-in" class="primary">Sign in</button>
				</form>
			</section>`,
		);

	app.get('/console/login', async (_request, reply) => reply.type('text/html; charset=utf-8').send(loginPage()));

	app.post('/console/login', { config: loginLimit }, async (request, reply) => {
		const body = (request.body ?? {}) as Record<string, string>;
		const user = await accounts.checkPassword(body.email ?? '', body.password ?? '');
		if (!user || user.role !== 'admin') {
			return reply.code(401).type('text/html; charset=utf-8').send(loginPage(user ? 'Only admins can use the console.' : 'Wrong email or password.', body.email));
		}
		const session = await accounts.createSession(user);
		setSession(reply, session.cookie);
		return reply.redirect('/console/settings', 303);
	});

	app.post('/console/logout', async (request, reply) => {
		const cookie = request.cookies[SESSION_COOKIE];
		const principal = await sessionPrincipal(request);
		if (cookie && principal && (request.body as Record<string, string> | undefined)?.csrf === principal.token.csrfToken) {
			await accounts.endSession(cookie);
		}
		reply.clearCookie(SESSION_COOKIE, { path: '/' });
		return reply.redirect('/console/login', 303);
	});

	app.get('/console', async (_request, reply) => reply.redirect('/console/settings', 302));

	// Console pages answer an anonymous visitor with the sign-in page, not a JSON 401.
	const consolePage = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
		const principal = await sessionPrincipal(request);
		if (!principal || principal.user.role !== 'admin') {
			await reply.redirect('/console/login', 303);
			return;
		}
		request.principal = principal;
	};

	const views = consoleViews();

	app.get('/console/settings', { preHandler: consolePage }, async (request, reply) => {
		const { user, token } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const organization = current.signed.policy.organization.name;
		const settings = maskSettings(settingsOfRevision(current));
		return reply
			.type('text/html; charset=utf-8')
			.send(
				page(
					{ title: 'Provider settings', organization, user, csrfToken: token.csrfToken ?? '', active: 'settings', scripts: ['/console/assets/console.js'] },
					views.settings({ settings, revision: current.revision, updatedBy: current.createdBy, updatedAt: isoTime(current.createdAt) }),
				),
			);
	});

	app.put('/console/api/policy', { preHandler: admin }, async (request) => {
		const { user } = principalOf(request);
		const parsed = ConsoleSaveSchema.safeParse(request.body);
		if (!parsed.success) {
			throw new HttpError(400, 'invalid_request', 'expected { settings, keepHeaderValues }');
		}
		const expected = expectedRevision(request.headers['if-match']);
		const current = await currentOrThrow(policies, user.orgId);
		const settings = restoreKeptHeaders(parsed.data.settings, parsed.data.keepHeaderValues, settingsOfRevision(current));
		const saved = await savePolicy(policies, user.orgId, settings, expected, user.email);
		return { revision: saved.revision, settings: maskSettings(settingsOfRevision(saved)), updatedBy: saved.createdBy, updatedAt: isoTime(saved.createdAt) };
	});

	app.get('/console/revisions', { preHandler: consolePage }, async (request, reply) => {
		const { user, token } = principalOf(request);
		const history = await policies.history(user.orgId, 101);
		const rows = history.slice(0, 100).map((revision, index) => revisionView(revision, history[index + 1]));
		const organization = history[0]?.signed.policy.organization.name;
		return reply
			.type('text/html; charset=utf-8')
			.send(page({ title: 'Revisions', organization, user, csrfToken: token.csrfToken ?? '', active: 'revisions' }, views.revisions(rows)));
	});

	app.get('/console/members', { preHandler: consolePage }, async (request, reply) => {
		const { user, token } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const members = (await store.listUsers(user.orgId)).map((member) => memberView(member, current.revision));
		const invitations = await store.listInvitations(user.orgId);
		return reply.type('text/html; charset=utf-8').send(
			page(
				{ title: 'Members', organization: current.signed.policy.organization.name, user, csrfToken: token.csrfToken ?? '', active: 'members', scripts: ['/console/assets/console.js'] },
				views.members(members, invitations, current.revision, user.id),
			),
		);
	});

	// ── device approval (RFC 8628 verification URI) ────────────────────────────
	const devicePage = (options: { userCode?: string; error?: string; done?: string; organization?: string; signedInAs?: string }) =>
		page(
			{ title: 'Approve sign-in' },
			html`<section class="card narrow">
				<h1>Sign in to VS Code</h1>
				${options.done ? html`<p class="success" role="status" id="device-result">${options.done}</p>` : ''}
				${options.error ? html`<p class="error" role="alert" id="device-error">${options.error}</p>` : ''}
				${options.done
					? ''
					: html`<p>VS Code asks to sign in to <strong>${options.organization ?? config.orgName}</strong> and receive its provider policy. Approve only if you started this sign-in and the code matches the one VS Code shows.</p>
				<form method="post" action="/device">
					<label>Code shown in VS Code <input name="user_code" id="user_code" required value="${options.userCode ?? ''}" autocomplete="off" spellcheck="false"></label>
					${options.signedInAs
						? html`<p>Signed in as <strong>${options.signedInAs}</strong>.</p>`
						: html`<label>Email <input type="email" name="email" id="email" autocomplete="username" required></label>
					<label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>`}
					<div class="actions">
						<button type="submit" name="action" value="approve" id="approve" class="primary">Approve</button>
						<button type="submit" name="action" value="deny" id="deny">Deny</button>
					</div>
				</form>`}
			</section>`,
		);

	app.get('/device', async (request, reply) => {
		const query = request.query as Record<string, string>;
		const principal = await sessionPrincipal(request);
		return reply.type('text/html; charset=utf-8').send(devicePage({ userCode: query.user_code ? normalizeUserCode(query.user_code) : '', signedInAs: principal?.user.email }));
	});

	app.post('/device', { config: loginLimit }, async (request, reply) => {
		const body = (request.body ?? {}) as Record<string, string>;
		const userCode = normalizeUserCode(body.user_code ?? '');
		const send = (status: number, options: Parameters<typeof devicePage>[0]) => reply.code(status).type('text/html; charset=utf-8').send(devicePage({ userCode, ...options }));
		const user = body.email ? await accounts.checkPassword(body.email, body.password ?? '') : (await sessionPrincipal(request))?.user;
		if (!user) {
			return send(401, { error: 'Wrong email or password.' });
		}
		const device = await accounts.findPendingDevice(userCode);
		if (!device) {
			return send(400, { error: 'That code is not valid or has expired. Check the code VS Code shows, or start the sign-in again.' });
		}
		const approve = body.action !== 'deny';
		await accounts.decideDevice(device, user, approve);
		const organization = (await store.getOrganization(user.orgId))?.name;
		return send(200, { done: approve ? `Approved. VS Code is now signed in to ${organization} as ${user.email}; you can close this page.` : 'Denied. VS Code will not be signed in.' });
	});

	// ── invitations ────────────────────────────────────────────────────────────
	const invitePage = (token: string, error?: string) =>
		page(
			{ title: 'Accept invitation' },
			html`<section class="card narrow">
				<h1>Set your password</h1>
				${error ? html`<p class="error" role="alert">${error}</p>` : ''}
				<form method="post" action="/invite/${token}">
					<label>New password (12 characters or more) <input type="password" name="password" id="password" autocomplete="new-password" minlength="12" required></label>
					<button type="submit" class="primary" id="accept">Save password</button>
				</form>
			</section>`,
		);

	app.get('/invite/:token', async (request, reply) => reply.type('text/html; charset=utf-8').send(invitePage((request.params as { token: string }).token)));

	app.post('/invite/:token', { config: loginLimit }, async (request, reply) => {
		const { token } = request.params as { token: string };
		const password = ((request.body ?? {}) as Record<string, string>).password ?? '';
		if (password.length < 12) {
			return reply.code(400).type('text/html; charset=utf-8').send(invitePage(token, 'The password must be at least 12 characters.'));
		}
		try {
			const user = await accounts.acceptInvitation(token, password);
			if (user.role === 'admin') {
				setSession(reply, (await accounts.createSession(user)).cookie);
				return reply.redirect('/console/settings', 303);
			}
			return reply.type('text/html; charset=utf-8').send(
				page({ title: 'Welcome' }, html`<section class="card narrow"><h1>You're in</h1><p>Your password is set. In VS Code, run <strong>Org Provider Policy: Sign In</strong>.</p></section>`),
			);
		} catch (error) {
			if (error instanceof HttpError) {
				return reply.code(error.statusCode).type('text/html; charset=utf-8').send(invitePage(token, error.message));
			}
			throw error;
		}
	});
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
