import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { normalizeUserCode } from '../crypto';
import { principalOf } from '../http/auth';
import type { SsoAdministration } from '../sso/administration';
import { labelled } from '../sso/settings';
import type { SingleSignOn } from '../sso/single-sign-on';
import type { SsoPurpose } from '../store/identity-store';
import type { Store } from '../store/store';
import { page } from './html';
import type { ConsoleKit } from './kit';
import { consoleReturnPath, loginPath } from './return-path';
import { signInPages } from './sign-in-pages';
import { formValuesOf, ssoPages, type SsoFormValues } from './sso-pages';

export interface SsoConsoleOptions {
	readonly kit: ConsoleKit;
	readonly sso: SingleSignOn;
	readonly administration: SsoAdministration;
	readonly store: Pick<Store, 'getOrganization'>;
	readonly publicUrl: () => string;
	/** The organization this service's sign-in pages are for. */
	readonly orgId: string;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
}

/** The browser's half of a sign-in's `state`: a sign-in finishes only in the browser that began it. */
/**
 * Where a single sign-on comes back to, for each purpose — the one place that says it: the page to
 * go back to after a refusal (`href`, `label`), and where a signed-in person goes (`signedIn`). A
 * device approval returns to the verification page with its code kept (`returnTo`); a console
 * sign-in to the console page the admin asked for.
 */
export function ssoReturn(purpose: SsoPurpose, returnTo: string | null): { href: string; label: string; signedIn: string } {
	switch (purpose) {
		case 'device':
			return { href: returnTo ?? '/device', label: 'Back to approving VS Code', signedIn: returnTo ?? '/device' };
		case 'test':
			return { href: '/console/sso', label: 'Back to single sign-on settings', signedIn: '/console/sso' };
		case 'console': {
			const page = consoleReturnPath(returnTo ?? undefined);
			return { href: loginPath(page), label: 'Back to sign-in', signedIn: page ?? '/console/settings' };
		}
	}
}

/** What a sign-in's start form says to come back to: the code being approved, or the console page asked for. */
function returnToOf(purpose: SsoPurpose, form: Record<string, string>): string | null {
	switch (purpose) {
		case 'device': {
			const userCode = normalizeUserCode(form.user_code ?? '');
			return userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : null;
		}
		case 'console':
			return consoleReturnPath(form.next) ?? null;
		case 'test':
			return null;
	}
}

/** What an OpenID provider's redirect back carries (RFC 6749 §4.1.2, RFC 9207's iss, OpenID session state). */
const CALLBACK_PARAMETERS = new Set(['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']);
const LIST_FIELDS = ['allowedDomains', 'tenantIds', 'allowedGroups', 'adminGroups', 'adminEmails'] as const;
const TEXT_FIELDS = ['displayName', 'issuer', 'clientId', 'emailClaim', 'emailVerifiedClaim', 'groupsClaim'] as const;

/** The settings form's fields as the settings document (lists split on lines and commas, checkboxes as booleans). */
function settingsInput(form: Record<string, string>): Record<string, unknown> {
	const input: Record<string, unknown> = { enabled: form.enabled === 'on', passwordSignIn: form.passwordSignIn === 'on' };
	// An empty field is a missing one: it takes its default, or reads "is required".
	for (const field of TEXT_FIELDS) {
		if (form[field]?.trim()) {
			input[field] = form[field];
		}
	}
	if (form.scopes?.trim()) {
		input.scopes = form.scopes.split(/\s+/).filter(Boolean);
	}
	for (const field of LIST_FIELDS) {
		input[field] = (form[field] ?? '')
			.split(/[\n,]+/)
			.map((entry) => entry.trim())
			.filter(Boolean);
	}
	return input;
}

/** What the admin typed, shown again beside the errors of a refused save. */
function typedValues(form: Record<string, string>): SsoFormValues {
	const values: SsoFormValues = { enabled: form.enabled === 'on', passwordSignIn: form.passwordSignIn === 'on' };
	for (const field of [...TEXT_FIELDS, 'scopes', ...LIST_FIELDS] as const) {
		values[field] = form[field] ?? '';
	}
	return values;
}

/**
 * Single sign-on in the console: the sign-in round trip through the identity provider (for the
 * console, the device-approval page and the admin's *Test sign-in*), and the settings page with
 * provisioning.
 */
export const ssoConsoleRoutes: FastifyPluginAsyncZod<SsoConsoleOptions> = async (
	app,
	{ kit, sso, administration, store, publicUrl, orgId, loginLimit },
) => {
	const { sendPage, guard, guarded, consolePage, formOf } = kit;
	const secure = publicUrl().startsWith('https:');
	// On https a __Host- cookie: no other host sets it, and it is sent to this origin's whole path.
	const stateCookie = secure ? { name: '__Host-opp_sso_state', path: '/' } : { name: 'opp_sso_state', path: '/console/sso' };
	const redirectUri = () => `${publicUrl()}/console/sso/callback`;

	const settingsPage = async (
		request: FastifyRequest,
		reply: FastifyReply,
		extra: { values?: SsoFormValues; errors?: string[]; notice?: string; scimToken?: string } = {},
		status = 200,
	) => {
		const { user } = principalOf(request);
		const view = await administration.view(user.orgId);
		const organization = (await store.getOrganization(user.orgId))?.name;
		const body = ssoPages.settings({
			view,
			values: extra.values ?? formValuesOf(view.settings),
			formToken: guard.tokenFor(request, reply),
			redirectUri: redirectUri(),
			scimUrl: `${publicUrl()}/scim/v2`,
			...extra,
		});
		return sendPage(reply, page(kit.chrome(request, 'Single sign-on', 'sso', organization, ['/console/assets/console.js']), body), status);
	};
	/** An admin's form post: this service's own form, from a signed-in admin. */
	/** Lets a signed-in admin on; anyone else has been answered with the sign-in page (false). */
	const signedInAdmin = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
		await consolePage(request, reply);
		return !reply.sent;
	};
	const adminForm = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) => {
		if (!(await signedInAdmin(request, reply))) {
			return reply;
		}
		return guarded(
			request,
			reply,
			(_token, error) => signInPages.ssoRefused(error, { href: '/console/sso', label: 'Back to single sign-on' }, 'Not saved'),
			work,
		);
	};

	// ── the round trip ─────────────────────────────────────────────────────────
	app.post('/console/sso/start', { config: loginLimit }, async (request, reply) => {
		const form = formOf(request);
		const purpose = form.purpose === 'device' ? 'device' : form.purpose === 'test' ? 'test' : 'console';
		const returnTo = returnToOf(purpose, form);
		const back = ssoReturn(purpose, returnTo).href;
		const retry = { href: back, label: 'Back' };
		if (purpose === 'test' && !(await signedInAdmin(request, reply))) {
			return reply;
		}
		return guarded(
			request,
			reply,
			(_token, error) => signInPages.ssoRefused(error, retry),
			async () => {
				const targetOrg = purpose === 'test' ? principalOf(request).user.orgId : orgId;
				const begun = await sso.begin(targetOrg, purpose, returnTo);
				if (begun.kind === 'unavailable') {
					return sendPage(reply, signInPages.ssoRefused(begun.message, retry), 503);
				}
				// Lax, not Strict: the identity provider's redirect back is a cross-site navigation.
				reply.setCookie(stateCookie.name, begun.state, { path: stateCookie.path, httpOnly: true, sameSite: 'lax', secure, maxAge: 600 });
				// A page that moves on, not a redirect: the console's CSP (form-action 'self') refuses a
				// form post redirected to another origin, and the identity provider is one. Its script
				// keeps the binding in this origin's session storage before it goes.
				return sendPage(reply, signInPages.toIdentityProvider(begun.url.href, begun.binding));
			},
		);
	});

	// The way back: a page of this origin whose script brings the binding from session storage
	// and posts the provider's answer here; only then is the sign-in finished.
	app.get('/console/sso/callback', async (request, reply) => {
		const answer = new URL(request.url, `${publicUrl()}/`).searchParams;
		return sendPage(reply, signInPages.finishSignIn([...answer.entries()].filter(([name]) => CALLBACK_PARAMETERS.has(name))));
	});

	app.post('/console/sso/callback', { config: loginLimit }, async (request, reply) => {
		guard.checkOrigin(request);
		const { binding, ...answer } = formOf(request);
		const callback = new URL(`${publicUrl()}/console/sso/callback`);
		for (const [name, value] of Object.entries(answer)) {
			if (CALLBACK_PARAMETERS.has(name)) {
				callback.searchParams.set(name, value);
			}
		}
		const outcome = await sso.complete(callback, { state: request.cookies[stateCookie.name], binding: binding || undefined });
		reply.clearCookie(stateCookie.name, { path: stateCookie.path });
		switch (outcome.kind) {
			case 'signed-in': {
				await kit.signIn(reply, outcome.user);
				const target = ssoReturn(outcome.purpose, outcome.returnTo).signedIn;
				return sendPage(reply, signInPages.continueTo(target, `Signed in as ${outcome.user.email}.`));
			}
			case 'tested':
				return sendPage(reply, signInPages.ssoTested(outcome.email, outcome.role, outcome.claims));
			case 'refused': {
				const retry = ssoReturn(outcome.purpose ?? 'console', outcome.returnTo);
				return sendPage(
					reply,
					signInPages.ssoRefused(outcome.message, retry, outcome.purpose === 'test' ? 'Test sign-in failed' : undefined, outcome.claims),
					403,
				);
			}
		}
	});

	// ── settings, provisioning, activity ──────────────────────────────────────
	app.get(
		'/console/sso',
		{ preHandler: consolePage, schema: { querystring: z.object({ tested: z.string().optional(), saved: z.string().optional() }) } },
		async (request, reply) =>
			settingsPage(request, reply, { notice: request.query.tested ? 'Test sign-in passed.' : request.query.saved ? 'Saved.' : undefined }),
	);

	app.post('/console/sso', async (request, reply) =>
		adminForm(request, reply, async () => {
			const form = formOf(request);
			const { user } = principalOf(request);
			const result = await administration.save(user.orgId, settingsInput(form), form.clientSecret, user.email);
			if (result.kind === 'invalid') {
				return settingsPage(request, reply, { values: typedValues(form), errors: result.errors.map(labelled) }, 400);
			}
			return reply.redirect('/console/sso?saved=1', 303);
		}),
	);

	app.post('/console/sso/scim-token', async (request, reply) =>
		adminForm(request, reply, async () => {
			const { user } = principalOf(request);
			const token = await administration.createScimToken(user.orgId, user.email);
			return token
				? settingsPage(request, reply, {
						scimToken: token,
						notice: 'Provisioning is on. Paste this token into your identity provider now: it is not shown again.',
					})
				: settingsPage(request, reply, { errors: ['Save the single sign-on settings first.'] }, 409);
		}),
	);

	app.post('/console/sso/scim-token/revoke', async (request, reply) =>
		adminForm(request, reply, async () => {
			const { user } = principalOf(request);
			await administration.revokeScimToken(user.orgId, user.email);
			return settingsPage(request, reply, { notice: 'Provisioning is off: the SCIM token no longer works.' });
		}),
	);
};
