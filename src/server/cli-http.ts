import { readFileSync } from 'node:fs';
import { formatFieldError, type FieldError } from '../policy';
import { ADMIN_TOKEN_EXPIRY_WARNING_DAYS, TOKEN_EXPIRES_HEADER } from './accounts/admin-api-tokens';
import { DAY_MS } from './clock';

/** A failure the admin CLI reports in one line (exit code 1). */
export class CliError extends Error {}

const READ_FAILURES: Readonly<Record<string, string>> = {
	ENOENT: 'no such file',
	EACCES: 'permission denied',
	EISDIR: 'it is a directory',
};

/**
 * A file's text by its byte order mark: Windows PowerShell 5.1's `policy get > policy.json` writes
 * UTF-16 with one, and Notepad may start UTF-8 with one; either would otherwise read as "not JSON".
 */
function decodeText(bytes: Buffer): string {
	if (bytes[0] === 0xff && bytes[1] === 0xfe) {
		return new TextDecoder('utf-16le').decode(bytes.subarray(2));
	}
	if (bytes[0] === 0xfe && bytes[1] === 0xff) {
		return new TextDecoder('utf-16be').decode(bytes.subarray(2));
	}
	return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}

/** A file the admin named, or a CliError that says which and why in words (the code kept for searching). */
export function readNamedFile(file: string): string {
	try {
		return decodeText(readFileSync(file));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new CliError(`cannot read ${file}: ${code ? `${READ_FAILURES[code] ?? 'failed'} (${code})` : (error as Error).message}`);
	}
}

const WARN_WITHIN_MS = ADMIN_TOKEN_EXPIRY_WARNING_DAYS * DAY_MS;
let warnedOfExpiry = false;

const consoleTokensPage = (server: string) => `${server.replace(/\/+$/, '')}/console/tokens`;

/** A token about to expire is said on stderr (once per run), so a pipeline's log shows it before the pipeline breaks. */
function warnOfTokenExpiry(expires: string | null): void {
	const at = expires ? Date.parse(expires) : Number.NaN;
	if (warnedOfExpiry || Number.isNaN(at) || at - Date.now() > WARN_WITHIN_MS) {
		return;
	}
	warnedOfExpiry = true;
	const days = Math.max(0, Math.ceil((at - Date.now()) / DAY_MS));
	console.error(
		`warning: this admin API token expires ${days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`} (${expires}): make its successor on the console's API tokens page`,
	);
}

export interface Options {
	server: string;
	token: string;
}

/** One admin API call with the CLI's token; an answer other than 2xx is a CliError naming the status and the fields. */
export async function call(
	options: Options,
	method: string,
	path: string,
	init: { body?: unknown; headers?: Record<string, string> } = {},
) {
	let response: Response;
	try {
		response = await fetch(`${options.server.replace(/\/+$/, '')}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${options.token}`,
				...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
				...init.headers,
			},
			...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
		});
	} catch (error) {
		throw new CliError(
			`cannot reach ${options.server}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
		);
	}
	const text = await response.text();
	const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
	warnOfTokenExpiry(response.headers.get(TOKEN_EXPIRES_HEADER));
	if (response.status === 401) {
		throw new CliError(
			`401: ${options.server} refused the admin API token (--token or ORG_POLICY_TOKEN): it expired, was revoked, or is not one of this service's. An admin makes a new one on the console's API tokens page (${consoleTokensPage(options.server)}).`,
		);
	}
	if (!response.ok) {
		const fieldErrors = (body.fieldErrors as FieldError[] | undefined)?.map((error) => `\n  ${formatFieldError(error)}`).join('') ?? '';
		throw new CliError(`${response.status} ${String(body.message ?? body.error ?? response.statusText)}${fieldErrors}`);
	}
	return { response, body };
}
