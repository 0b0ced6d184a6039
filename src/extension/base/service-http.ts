import type { FetchFunction } from '../../client';
import { TRUST_ADVICE, untrustedCertificateCode } from '../../client/tls-codes';

/** The policy service's base URL and a fetch bound to the extension's one dispatcher. */
export interface ServiceConnection {
	readonly serverUrl: string;
	readonly fetch: FetchFunction;
}

/** `init` with the extension's `User-Agent`, unless the request names its own (a `Request` keeps its headers: `init`'s would replace them). */
export function withUserAgent(input: string | URL | Request, init: RequestInit | undefined, userAgent: string): RequestInit | undefined {
	if (input instanceof Request) {
		return init;
	}
	const headers = new Headers(init?.headers);
	if (!headers.has('user-agent')) {
		headers.set('user-agent', userAgent);
	}
	return { ...init, headers };
}

export class ServiceUnreachableError extends Error {
	override readonly name = 'ServiceUnreachableError';
}

/** The service answered with a certificate this machine does not trust: the network is there, so not "offline". */
export class ServiceCertificateError extends Error {
	override readonly name = 'ServiceCertificateError';
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

const NOT_JSON = Symbol('not JSON');

/** What checks a JSON answer's shape (a zod schema, without importing zod here). */
export interface AnswerSchema<T> {
	safeParse(value: unknown): { success: true; data: T } | { success: false };
}

/**
 * The JSON body of a successful answer, checked by `schema` when given. A 200 that is not the
 * service's — a captive portal's or an authenticating proxy's sign-in page, which answer 200 with
 * HTML — is a `ServiceHttpError` that says so (no verdict on the member's sign-in, tried again
 * later), instead of a JSON parser's complaint about a '<'.
 */
export async function readServiceJson<T = unknown>(response: Response, what: string, schema?: AnswerSchema<T>): Promise<T> {
	const body: unknown = await response.json().catch(() => NOT_JSON);
	const parsed = body === NOT_JSON ? undefined : schema ? schema.safeParse(body) : { success: true as const, data: body as T };
	if (parsed?.success) {
		return parsed.data;
	}
	const type = response.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
	const got = body === NOT_JSON ? `a page (${type})` : 'JSON of another shape';
	throw new ServiceHttpError(
		response.status,
		`${what} answered ${response.status} with ${got}, not the policy service's answer: a proxy or a network sign-in page may be in the way`,
	);
}

/** A grant the token endpoint refused (RFC 6749 §5.2): its status, error code and description. */
export interface OAuthRefusal {
	readonly status: number;
	readonly error: string;
	/** `error_description`, or the service's own `message` when there is none. */
	readonly description?: string;
}

/**
 * Reads the token endpoint's error answer: the refusal it carries (a 4xx other than 429 whose JSON
 * body has an `error` code), or, for anything else (a 5xx, a rate limit, a proxy's page, a body
 * without a code), the `ServiceHttpError` saying the service could not answer now — which is no
 * verdict on the grant.
 */
export async function readTokenEndpointError(response: Response, what: string): Promise<OAuthRefusal | ServiceHttpError> {
	const body: unknown = await response.json().catch(() => undefined);
	const fields = typeof body === 'object' && body !== null ? (body as { error?: unknown; error_description?: unknown }) : {};
	if (response.status >= 500 || response.status === 429 || typeof fields.error !== 'string' || fields.error.length === 0) {
		return ServiceHttpError.answered(response.status, what, body);
	}
	const description = serviceSentence(body);
	return { status: response.status, error: fields.error.slice(0, 100), ...(description ? { description } : {}) };
}

/** A refusal in one line: its code and description. */
export function describeRefusal(refusal: OAuthRefusal): string {
	return refusal.description ? `${refusal.error}: ${refusal.description}` : refusal.error;
}

/**
 * True when the service could not answer now (unreachable, an untrusted certificate, 5xx, a rate
 * limit, a proxy's page) or answered without a refusal: a reason to keep what the member has and
 * try later, not to sign out.
 */
export function isServiceUnanswered(error: unknown): boolean {
	return error instanceof ServiceUnreachableError || error instanceof ServiceHttpError || error instanceof ServiceCertificateError;
}

/**
 * The service's sentence in an error body (an OAuth `error_description`, else `message`), at most
 * 300 characters; undefined for any other body (a proxy's error page is no sentence, and would only
 * fill the member's status line with HTML).
 */
function serviceSentence(body: unknown): string | undefined {
	const fields = typeof body === 'object' && body !== null ? (body as { message?: unknown; error_description?: unknown }) : {};
	const said = [fields.error_description, fields.message].find((text): text is string => typeof text === 'string' && text.length > 0);
	return said?.slice(0, 300);
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
		const untrusted = untrustedCertificateCode(error);
		if (untrusted) {
			throw new ServiceCertificateError(
				`the certificate of the policy service at ${connection.serverUrl} is not trusted on this machine (${untrusted}). ${TRUST_ADVICE}`,
			);
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
