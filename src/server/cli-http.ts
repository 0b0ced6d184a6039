import { readFileSync } from 'node:fs';
import { formatFieldError, type FieldError } from '../policy';

/** A failure the admin CLI reports in one line (exit code 1). */
export class CliError extends Error {}

const READ_FAILURES: Readonly<Record<string, string>> = {
	ENOENT: 'no such file',
	EACCES: 'permission denied',
	EISDIR: 'it is a directory',
};

/** A file the admin named, or a CliError that says which and why in words (the code kept for searching). */
export function readNamedFile(file: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new CliError(`cannot read ${file}: ${code ? `${READ_FAILURES[code] ?? 'failed'} (${code})` : (error as Error).message}`);
	}
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
	if (!response.ok) {
		const fieldErrors = (body.fieldErrors as FieldError[] | undefined)?.map((error) => `\n  ${formatFieldError(error)}`).join('') ?? '';
		throw new CliError(`${response.status} ${String(body.message ?? body.error ?? response.statusText)}${fieldErrors}`);
	}
	return { response, body };
}
