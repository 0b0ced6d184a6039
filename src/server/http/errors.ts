import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, OAuthError, type DomainErrorCode } from '../accounts';
import { HttpError } from './http-error';
import { RequestValidationError } from './validation';

declare module 'fastify' {
	interface FastifyContextConfig {
		/** The error code a request that fails its schema answers with (default `invalid_request`). */
		invalidRequest?: { code: string; message: string };
		/** An OAuth endpoint: every refusal, a body it cannot read included, takes RFC 6749 §5.2's shape. */
		oauthErrors?: boolean;
	}
}

const DOMAIN_STATUS: Record<DomainErrorCode, { status: number; error: string }> = {
	already_member: { status: 409, error: 'conflict' },
	not_found: { status: 404, error: 'not_found' },
	last_admin: { status: 409, error: 'last_admin' },
	invalid_invitation: { status: 404, error: 'invalid_invitation' },
	expired_invitation: { status: 410, error: 'expired_invitation' },
	weak_password: { status: 400, error: 'weak_password' },
	role_from_sso: { status: 409, error: 'role_from_sso' },
	invalid_reset: { status: 404, error: 'invalid_reset' },
	expired_reset: { status: 410, error: 'expired_reset' },
	password_sign_in_off: { status: 409, error: 'password_sign_in_off' },
	deactivated: { status: 409, error: 'deactivated' },
};

/** The status an account-domain refusal answers with, for the HTML pages that show it. */
export function domainStatus(error: DomainError): number {
	return DOMAIN_STATUS[error.code].status;
}

/** An error and the causes it wraps (a few deep: drivers and the query builder wrap each other). */
function* causeChain(error: unknown): Generator<unknown> {
	for (let current: unknown = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
		yield current;
	}
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

const STORAGE_FULL_CODES = new Set(['SQLITE_FULL', '53100', 'ENOSPC']);

/** SQLite's, PostgreSQL's and the operating system's words for a full disk. */
export function isStorageFull(error: unknown): boolean {
	return [...causeChain(error)].some((cause) => STORAGE_FULL_CODES.has(codeOf(cause) as string));
}

/** PostgreSQL's SQLSTATEs and the socket errors of a database that is down, restarting or unreachable. */
const STORE_UNAVAILABLE_CODES = new Set([
	'57P01',
	'57P02',
	'57P03',
	'08000',
	'08001',
	'08003',
	'08006',
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
]);
const CONNECTION_LOST = /Connection terminated|connection terminated|Client has encountered a connection error/;

/** What every API (SCIM's too, in its own shape) says while the database is out of reach: 503, and when to ask again. */
export const STORE_UNAVAILABLE = {
	status: 503,
	retryAfterSeconds: 5,
	message: 'the service cannot reach its database right now; try again shortly',
} as const;

/** Whether a request failed because the database is out of reach (not because of the request). */
export function isStoreUnavailable(error: unknown): boolean {
	return [...causeChain(error)].some(
		(cause) => STORE_UNAVAILABLE_CODES.has(codeOf(cause) as string) || (cause instanceof Error && CONNECTION_LOST.test(cause.message)),
	);
}

/**
 * The one place where errors become status codes. Every JSON answer has the shape
 * `{ error, message, fieldErrors? }`, except the OAuth endpoints', which RFC 6749 §5.2 fixes.
 */
export function createErrorHandler(bodyLimitBytes: number, onStorageFull: () => void = () => undefined) {
	return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
		const send = (status: number, answer: { error: string; message: string } & Record<string, unknown>) =>
			request.routeOptions.config.oauthErrors
				? reply.code(status).send({ error: oauthErrorCodeOf(status), error_description: answer.message })
				: reply.code(status).send(answer);
		if (isStorageFull(error)) {
			onStorageFull();
			request.log.error({ err: error }, 'the storage is full: a write was refused');
			// RFC 4918 §11.5: the server cannot store the representation. Reads go on being served.
			return send(507, {
				error: 'storage_full',
				message:
					"the service's storage is full: the change was not saved (nothing else was lost); free disk space on the service, then save again",
			});
		}
		if (isStoreUnavailable(error)) {
			request.log.error({ err: error }, 'the database is out of reach');
			// Members keep what they applied and try again; what the service holds in memory is still served.
			reply.header('retry-after', String(STORE_UNAVAILABLE.retryAfterSeconds));
			return send(STORE_UNAVAILABLE.status, { error: 'store_unavailable', message: STORE_UNAVAILABLE.message });
		}
		if (error instanceof OAuthError) {
			// RFC 6749 §5.2: invalid_client is 401; every other error is 400.
			return reply.code(error.code === 'invalid_client' ? 401 : 400).send({ error: error.code, error_description: error.message });
		}
		if (error instanceof DomainError) {
			const { status, error: code } = DOMAIN_STATUS[error.code];
			return send(status, { error: code, message: error.message });
		}
		if (error instanceof RequestValidationError) {
			const custom = request.routeOptions.config.invalidRequest;
			return send(400, {
				error: custom?.code ?? 'invalid_request',
				message: custom?.message ?? error.message,
				fieldErrors: error.fieldErrors,
			});
		}
		if (error instanceof HttpError) {
			for (const [name, value] of Object.entries(error.extra.headers ?? {})) {
				reply.header(name, value);
			}
			return send(error.statusCode, {
				error: error.code,
				message: error.message,
				...(error.extra.fieldErrors ? { fieldErrors: error.extra.fieldErrors } : {}),
				...error.extra.details,
			});
		}
		const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
		if (status >= 500) {
			request.log.error({ err: error }, 'request failed');
			return send(500, { error: 'internal', message: 'internal error; see the service log' });
		}
		const code =
			status === 413
				? 'payload_too_large'
				: status === 415
					? 'unsupported_media_type'
					: status === 429
						? 'rate_limited'
						: 'invalid_request';
		const message =
			status === 413 ? `the body is larger than ${bodyLimitBytes} bytes` : status === 415 ? unsupportedMediaType(request) : error.message;
		return send(status, { error: code, message });
	};
}

/**
 * An OAuth endpoint's refusal that is not OAuth's own (a body it cannot read, a rate limit, the
 * database out of reach), in RFC 6749's words: an OAuth client reads `error` from its list.
 */
function oauthErrorCodeOf(status: number): string {
	return status < 500 ? 'invalid_request' : status === 503 || status === 507 ? 'temporarily_unavailable' : 'server_error';
}

/** What a route reads, said to a caller who sent something else (`curl -d` sends a form, say). */
function unsupportedMediaType(request: FastifyRequest): string {
	// Only the media type, and not much of it: the header is the caller's to fill.
	const sent = request.headers['content-type']?.split(';')[0]?.trim().slice(0, 80) || 'none';
	const reads = request.server.hasContentTypeParser('application/x-www-form-urlencoded')
		? 'a form (application/x-www-form-urlencoded) or JSON (application/json)'
		: 'JSON: send it with Content-Type: application/json';
	return `Content-Type: ${sent} is not read here; the body must be ${reads}`;
}
