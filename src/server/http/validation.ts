import type { FastifySchemaCompiler } from 'fastify';
import type * as z from 'zod';
import { formatFieldError, parseWith, type FieldError } from '../../policy';

/** A request part that does not match its route's schema; every field at fault is named. */
export class RequestValidationError extends Error {
	override readonly name = 'RequestValidationError';
	readonly statusCode = 400;
	constructor(
		readonly part: string,
		readonly fieldErrors: readonly FieldError[],
	) {
		super(fieldErrors.map(formatFieldError).join('; ') || `the request ${part} is not valid`);
	}
}

/**
 * Validates each request part with the zod schema declared on its route, through the project's own
 * parse so messages read as everywhere else ("provider.baseUrl: is required").
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
	if (httpPart === 'headers') {
		// Header schemas document the headers a route reads (all optional strings); the handler
		// interprets each one and names it when it is wrong (If-Match, say). Parsing every request's
		// headers here would cost the hottest route a fifth of its throughput. `true`: valid, and
		// nothing replaced (fastify would keep a returned `value` as extra headers on the request).
		return () => true;
	}
	const part = httpPart ?? 'body';
	return (data: unknown) => {
		const parsed = parseWith(schema, data);
		if (parsed.ok) {
			return { value: parsed.value };
		}
		// fastify hands a route without a body `null` (an empty JSON body is `undefined`); and an error about the whole part names the part.
		const errors =
			part === 'body' && (data === null || data === undefined)
				? [{ path: 'body', message: 'is required: send a JSON document (Content-Type: application/json)' }]
				: parsed.errors.map((error) => (error.path ? error : { ...error, path: part }));
		return { error: new RequestValidationError(part, errors) };
	};
};
