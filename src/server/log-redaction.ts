import type { FastifyRequest } from 'fastify';

/**
 * Request URLs carry secrets in two places: one-time links (`/invite/<token>`, `/reset/<token>`)
 * and query strings (a device user code). Logs get the route shape, never those values.
 */
export function redactUrl(url: string): string {
	const [path = '', query] = url.split('?', 2);
	const safePath = path.replace(/^\/(invite|reset)\/[^/]+/, '/$1/[redacted]');
	return query === undefined ? safePath : `${safePath}?[redacted]`;
}

export const requestLogSerializers = {
	req(request: FastifyRequest) {
		return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
	},
};
