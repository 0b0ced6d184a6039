import type { FastifyInstance } from 'fastify';
import { parse } from 'secure-json-parse';
import { HttpError } from './http-error';

/**
 * Why a body is not JSON, in the parser's words without the body itself: V8 quotes the start of
 * the text it could not read, and that may be a secret the caller pasted (a header value, a key).
 */
export function jsonSyntaxReason(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.replace(/,? "[\s\S]*" is not valid JSON$/, '').trim() || 'not JSON';
}

/**
 * JSON bodies, read as fastify reads them (a key named `__proto__`, or `constructor` with a
 * `prototype`, is refused: it could change the objects the service builds from the body), but
 * answered with where the text stops being JSON instead of fastify's "Body is not valid JSON".
 */
export function readJsonBodies(app: FastifyInstance): void {
	app.removeContentTypeParser('application/json');
	app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
		const text = String(body);
		if (text.trim() === '') {
			done(new HttpError(400, 'invalid_request', 'the body is empty: send a JSON document'), undefined);
			return;
		}
		try {
			done(null, parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
		} catch (error) {
			done(new HttpError(400, 'invalid_request', `the body is not valid JSON: ${jsonSyntaxReason(error)}`), undefined);
		}
	});
}
