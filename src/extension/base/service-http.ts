import type { FetchFunction } from '../../client';

/** The policy service's base URL and a fetch bound to the extension's one dispatcher. */
export interface ServiceConnection {
	readonly serverUrl: string;
	readonly fetch: FetchFunction;
}

export class ServiceUnreachableError extends Error {
	override readonly name = 'ServiceUnreachableError';
}

/** An answer the service should not have given (a status the caller does not handle). */
export class ServiceHttpError extends Error {
	override readonly name = 'ServiceHttpError';
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}

	/**
	 * `what` answered with an error status: the error, with the service's own sentence when its body
	 * has one (`{ "message": … }`, as every error of the service's does), so the member reads why.
	 */
	static async from(response: Response, what: string): Promise<ServiceHttpError> {
		return ServiceHttpError.answered(response.status, what, await response.json().catch(() => undefined));
	}

	/** {@link from}, for a body already read as JSON. */
	static answered(status: number, what: string, body: unknown): ServiceHttpError {
		const said = serviceSentence(body);
		return new ServiceHttpError(status, `${what} answered ${status}${said ? `: ${said}` : ''}`);
	}
}

/**
 * The `message` of the service's error body, at most 300 characters; undefined for any other body
 * (a proxy's error page is no sentence, and would only fill the member's status line with HTML).
 */
function serviceSentence(body: unknown): string | undefined {
	const said = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
	return typeof said === 'string' && said.length > 0 ? said.slice(0, 300) : undefined;
}

/** Node's socket errors and undici's connection errors: the service could not be reached or the connection broke. */
const NETWORK_ERROR_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ECONNABORTED',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
	'ENOTFOUND',
	'EAI_AGAIN',
	'ETIMEDOUT',
	'EPIPE',
	'UND_ERR_SOCKET',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
	'UND_ERR_CLOSED',
	'UND_ERR_DESTROYED',
	'UND_ERR_ABORTED',
]);

/** The network-level code of a failed request, looking through fetch's wrapping `cause`s. */
export function networkErrorCode(error: unknown): string | undefined {
	for (let current: unknown = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
			return code;
		}
	}
	return undefined;
}

export async function serviceFetch(connection: ServiceConnection, path: string, init: RequestInit = {}): Promise<Response> {
	try {
		return await connection.fetch(`${connection.serverUrl.replace(/\/+$/, '')}${path}`, init);
	} catch (error) {
		if ((error as Error).name === 'AbortError') {
			throw error;
		}
		const cause = (error as { cause?: { message?: string } }).cause;
		throw new ServiceUnreachableError(
			`cannot reach the policy service at ${connection.serverUrl} (${networkErrorCode(error) ?? cause?.message ?? (error as Error).message})`,
		);
	}
}

export function formBody(fields: Record<string, string>): RequestInit {
	return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

export function isServiceUnreachable(error: unknown): boolean {
	return error instanceof ServiceUnreachableError || networkErrorCode(error) !== undefined;
}

/** One line for the status bar: the network code where there is one ("terminated" says nothing). */
export function describeServiceFailure(error: unknown): string {
	const code = networkErrorCode(error);
	const message = error instanceof Error ? error.message : String(error);
	return code && !message.includes(code) ? `the connection to the policy service failed (${code})` : message;
}
