/**
 * Where an admin goes after signing in: back to the console page they asked for. The page comes
 * from the browser (the sign-in page's address, a form field), so it is read as a path on this
 * origin and nothing else: an absolute URL, a scheme-relative `//host`, a backslash that browsers
 * read as a slash, or a page outside the console would make the sign-in an open redirect.
 */

/** The origin a candidate is resolved against; a candidate that leaves it is refused. */
const HERE = 'http://console.invalid';
/** Pages a signed-in admin has no reason to be sent back to: the sign-in round trip itself. */
const NOT_A_DESTINATION = /^\/console\/(login|logout|session|sso\/(start|callback))(\/|$)/;
const LONGEST = 1024;

/** The console page (path and query) to return to, or undefined when `candidate` is not one. */
export function consoleReturnPath(candidate: string | undefined): string | undefined {
	if (!candidate || candidate.length > LONGEST || !candidate.startsWith('/')) {
		return undefined;
	}
	// The URL parser reads the candidate as a browser would (a backslash as a slash, tabs and
	// newlines dropped), so whatever would leave this origin in a browser leaves it here too.
	let url: URL;
	try {
		url = new URL(candidate, HERE);
	} catch {
		return undefined;
	}
	if (url.origin !== HERE || !url.pathname.startsWith('/console/') || NOT_A_DESTINATION.test(url.pathname)) {
		return undefined;
	}
	return `${url.pathname}${url.search}`;
}

/** The sign-in page's address that returns to `path` afterwards (plain when there is nothing to return to). */
export function loginPath(path: string | undefined, breakGlass = false): string {
	const query = new URLSearchParams();
	if (breakGlass) {
		query.set('break-glass', '1');
	}
	const next = consoleReturnPath(path);
	if (next && next !== '/console/settings') {
		query.set('next', next);
	}
	const search = query.toString();
	return search ? `/console/login?${search}` : '/console/login';
}
