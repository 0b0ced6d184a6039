import * as z from 'zod';
import { CONTROL_CHARACTERS, LIMITS } from './limits';
import { isLoopbackHost, isPlainHttpBeyondLoopback, withoutQuery } from './url-rules';

export { isLoopbackHost, isPlainHttpBeyondLoopback, withoutQuery };

/**
 * What HTTP lets a policy say: base URLs clients call exactly as written and header values they
 * send unchanged. Refusing the rest here keeps every member's request from failing later.
 */

/** Headers the HTTP stack owns: a policy may not set them. */
const FRAMING_HEADERS = new Set([
	'host',
	'content-length',
	'transfer-encoding',
	'connection',
	'keep-alive',
	'proxy-connection',
	'te',
	'trailer',
	'upgrade',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What the admin must turn on to use plain HTTP beyond loopback, named in the refusal. */
export const PLAIN_HTTP_CHOICE = 'Allow plain HTTP';

function baseUrlProblem(value: string, plainHttp: 'refused' | 'allowed'): string | undefined {
	// The WHATWG URL parser drops tabs and line breaks, trims spaces and turns \ into /: a URL
	// stored with them would reach a different host or path than the admin read.
	if (/[\t\r\n \\]/.test(value)) {
		return 'must not contain spaces, tabs, line breaks or backslashes (the URL parser would silently rewrite them)';
	}
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return 'must be an absolute URL, e.g. https://example.openai.azure.com';
	}
	if (url.protocol === 'http:') {
		if (!isLoopbackHost(url.hostname) && plainHttp === 'refused') {
			return 'must use https: (plain http: is allowed only for loopback hosts)';
		}
	} else if (url.protocol !== 'https:') {
		return `must use https:, not ${url.protocol}`;
	}
	if (url.username || url.password) {
		return 'must not contain credentials (put them in a header or the member API key)';
	}
	if (url.hash || value.includes('#')) {
		return 'must not contain a fragment (#…)';
	}
	// What members call is what the admin reads: the URL exactly as the parser writes it back
	// (lowercase host, punycode for international names, no default port), a final "/" aside.
	if (url.href !== value && url.href !== `${value}/`) {
		return `must be written as URL parsers read it: ${url.href}`;
	}
	return undefined;
}

const baseUrl = (plainHttp: 'refused' | 'allowed') =>
	z
		.string('must be a string')
		.min(1, 'is required')
		.max(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`)
		.superRefine((value, ctx) => {
			const problem = baseUrlProblem(value, plainHttp);
			if (problem) {
				ctx.addIssue({ code: 'custom', message: problem });
			}
		});

/** A base URL as schema version 1 (and a member's own settings) take it: https, or http on loopback. */
export const BaseUrlSchema = baseUrl('refused');
/**
 * Schema version 2 also takes plain http beyond loopback, for internal endpoints, but only with the
 * provider's `allowPlainHttp` (checked with the provider, where both are known).
 */
export const BaseUrlSchemaV2 = baseUrl('allowed');

/**
 * What an HTTP client can send as a header value (RFC 9110 §5.5: visible ASCII, space and tab,
 * obs-text at most), unchanged: fetch refuses anything else and trims surrounding whitespace.
 */
function headerValueProblem(value: string): string | undefined {
	if (/[\r\n]/.test(value)) {
		return 'value contains a line break';
	}
	if (value.includes('\u0000')) {
		return 'value contains a NUL character';
	}
	if ([...value].some((char) => char !== '\t' && CONTROL_CHARACTERS.test(char))) {
		return 'value contains a control character';
	}
	const unsendable = [...value].find((char) => char.codePointAt(0)! > 0xff);
	if (unsendable !== undefined) {
		const code = `U+${unsendable.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
		return /^•+$/.test(value)
			? 'value is only the masked placeholder (••••••): type the real value'
			: `value contains "${unsendable}" (${code}), which HTTP headers cannot carry: use ASCII characters`;
	}
	if (value !== value.trim()) {
		return 'value must not start or end with a space or tab (HTTP clients strip them)';
	}
	if (value.length > LIMITS.headerValueLength) {
		return `value must be at most ${LIMITS.headerValueLength} characters`;
	}
	return undefined;
}

/** Why `name` cannot be a header the policy sets, if it cannot. */
export function headerNameProblem(name: string): string | undefined {
	return name.length === 0
		? 'header name must not be empty'
		: name.length > LIMITS.headerNameLength
			? `header name must be at most ${LIMITS.headerNameLength} characters`
			: !TOKEN.test(name)
				? "header name must be an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)"
				: FRAMING_HEADERS.has(name.toLowerCase())
					? `${name} is set by the HTTP client and cannot be overridden`
					: undefined;
}

export const HeadersSchema = z
	.record(z.string(), z.string('value must be a string'), 'must be an object of header names to values')
	.superRefine((headers, ctx) => {
		const names = Object.keys(headers);
		if (names.length > LIMITS.headerCount) {
			ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.headerCount} headers` });
		}
		const seen = new Map<string, string>();
		for (const name of names) {
			const lower = name.toLowerCase();
			const problem =
				headerNameProblem(name) ??
				(seen.has(lower)
					? `duplicates header ${seen.get(lower)} (header names are case-insensitive)`
					: headerValueProblem(headers[name] ?? ''));
			if (problem) {
				ctx.addIssue({ code: 'custom', message: problem, path: [name] });
			}
			seen.set(lower, name);
		}
	});
