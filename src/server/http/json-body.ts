import type { FastifyInstance } from 'fastify';
import { parse } from 'secure-json-parse';
import { HttpError } from './http-error';

/**
 * Why a body is not JSON, in the parser's words without the body itself: V8 quotes the start of
 * the text it could not read, and that may be a secret the caller pasted (a header value, a key).
 */
function jsonSyntaxReason(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.replace(/,? "[\s\S]*" is not valid JSON$/, '').trim() || 'not JSON';
}

/**
 * A JSON body read as fastify reads it (a key named `__proto__`, or `constructor` with a
 * `prototype`, is refused: it could change the objects the service builds from the body), or why
 * it is not one, in words that say where the text stops being JSON. The API and SCIM both read so.
 */
export function parseJsonBody(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
	try {
		return { ok: true, value: parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) };
	} catch (error) {
		return { ok: false, message: `the body is not valid JSON: ${jsonSyntaxReason(error)}` };
	}
}

/** The API's JSON bodies through {@link parseJsonBody}, instead of fastify's "Body is not valid JSON". */
export function readJsonBodies(app: FastifyInstance): void {
	app.removeContentTypeParser('application/json');
	app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
		const text = String(body);
		if (text.trim() === '') {
			// No body, as many clients send a POST that takes none (a sign-out) with their usual
			// Content-Type: a route that needs one says so through its schema ("body: is required").
			done(null, undefined);
			return;
		}
		const read = parseJsonBody(text);
		if (read.ok) {
			done(null, read.value);
		} else {
			done(new HttpError(400, 'invalid_request', read.message), undefined);
		}
	});
}
