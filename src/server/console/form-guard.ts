import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/http-error';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Protection for the HTML forms that change state (sign-in, sign-out, device approval,
 * invitation): a token the page carries and a cookie only this origin can set must match
 * (double submit), and the browser must say the post comes from this origin (Origin and
 * Sec-Fetch-Site). A page elsewhere on the same site — another port or subdomain, whose posts
 * still carry SameSite=Strict cookies — fails both.
 */
export class FormGuard {
	constructor(
		private readonly publicUrl: () => string,
		private readonly secure: boolean,
	) {}

	/** The cookie's name: `__Host-` where the browser enforces it (https), so no sibling host can plant one. */
	private get cookieName(): string {
		return this.secure ? '__Host-opp_form' : 'opp_form';
	}

	/** The token for a form on this page, set in the cookie too (the same one for the whole browser session). */
	tokenFor(request: FastifyRequest, reply: FastifyReply): string {
		const existing = request.cookies[this.cookieName];
		const token = existing && TOKEN.test(existing) ? existing : randomBytes(32).toString('base64url');
		reply.setCookie(this.cookieName, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.secure });
		return token;
	}

	/**
	 * Refuses a request the browser says comes from another origin: this service's public URL, or
	 * the origin the page was actually opened at (localhost for 127.0.0.1, say), and nothing else.
	 */
	checkOrigin(request: FastifyRequest): void {
		const site = request.headers['sec-fetch-site'];
		if (site !== undefined && site !== 'same-origin' && site !== 'none') {
			throw new HttpError(
				403,
				'csrf',
				`refused a request sent from another site (${site}); open the page on this service and submit it there`,
			);
		}
		const origin = request.headers.origin;
		// A page whose referrer policy hides its origin posts "Origin: null"; its Sec-Fetch-Site still tells.
		const hidden = origin === 'null' && site === 'same-origin';
		if (
			origin !== undefined &&
			!hidden &&
			origin !== new URL(this.publicUrl()).origin &&
			origin !== `${request.protocol}://${request.host}`
		) {
			throw new HttpError(403, 'csrf', 'refused a request sent from another origin; open the page on this service and submit it there');
		}
	}

	/** Refuses a state-changing form post that is not this origin's own form. */
	check(request: FastifyRequest, submitted: string | undefined): void {
		this.checkOrigin(request);
		const cookie = request.cookies[this.cookieName];
		if (!cookie || !submitted || cookie.length !== submitted.length || !timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted))) {
			throw new HttpError(403, 'csrf', 'this form has expired or did not come from this service; reload the page and submit it again');
		}
	}
}
