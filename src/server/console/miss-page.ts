import type { PageForMiss } from '../http/plumbing';
import { html, page } from './html';

/** The console's addresses: a browser sent to one that has nothing there gets a page, not JSON. */
const CONSOLE_PATHS = /^\/(console|device|invite)(\/|$)/;

/**
 * The page's own headers: it has no script and posts nothing, so its policy is stricter than the
 * console's (set by helmet in the console's plugin, which a miss never reaches). `nosniff` comes with
 * every answer (the HTTP plumbing).
 */
const MISS_PAGE_HEADERS = {
	'content-security-policy': "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	'x-frame-options': 'DENY',
	'referrer-policy': 'same-origin',
	'cache-control': 'no-store',
};

/**
 * What a browser is shown at a console address with nothing there (404), or that takes only a form
 * (405: typing /console/logout, reloading after a form's page): a sentence and the way back.
 */
export const consoleMissPage: PageForMiss = (path, miss) => {
	if (!CONSOLE_PATHS.test(path)) {
		return undefined;
	}
	const [title, sentence] =
		miss.status === 405
			? ['This address takes a form', 'It is reached by a button or form in the console, not by opening it.']
			: ['Nothing here', 'This address is not a page of the admin console.'];
	const body = page(
		{ title },
		html`<section class="card narrow">
			<h1>${title}</h1>
			<p>${sentence}</p>
			<p><a class="button primary" href="/console">Open the console</a></p>
		</section>`,
	);
	return { body, headers: MISS_PAGE_HEADERS };
};
