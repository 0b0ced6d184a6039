/**
 * URL facts both programs and the console's browser script use; kept free of zod so the console
 * script stays small.
 */

export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** A plain-http URL to a host other than this machine: keys and prompts would cross the network unencrypted. */
export function isPlainHttpBeyondLoopback(value: string): boolean {
	try {
		const url = new URL(value);
		return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
	} catch {
		return false;
	}
}

/**
 * A URL as reports and logs may show it: origin and path, never the query or credentials, where
 * gateways carry keys (Azure Functions' `code=…`, a gateway token). Unparseable text shows as is.
 */
export function withoutQuery(url: string): string {
	try {
		const parsed = new URL(url);
		return parsed.search || parsed.hash || parsed.username || parsed.password ? `${parsed.origin}${parsed.pathname}` : url;
	} catch {
		return url.split('?')[0]!;
	}
}
