import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, serializerCompiler } from 'fastify-type-provider-zod';
import type { Clock } from '../clock';
import type { ServiceMetrics } from '../metrics';
import { createErrorHandler } from './errors';
import { readJsonBodies } from './json-body';
import { operationIdOf } from './operation-ids';
import { tidyComponents, withSignInRefusals } from './openapi-document';
import { ResponseCounter } from './response-counter';
import { apiSchemaRegistry } from './schemas';
import { zodValidatorCompiler } from './validation';

/** The header every answer carries, framework answers and the members' read shortcut included. */
export const NO_SNIFF = { name: 'x-content-type-options', value: 'nosniff' } as const;

/** A page for a browser sent to an address with nothing there (404) or not for its method (405), where there is one. */
export type PageForMiss = (
	path: string,
	miss: { status: 404 | 405 },
) => { body: string; headers: Readonly<Record<string, string>> } | undefined;

/**
 * What every route shares: zod validation and serialization, the one error handler and the 404,
 * the OpenAPI document, rate limits and the request counter (cookies and form bodies are the
 * console's and OAuth's: their plugins register them, so members' bearer-token routes run without
 * cookie hooks, and the JSON API refuses a form body instead of reading it as fields). Returns since
 * when writes have been refused for a full disk (the service is not ready meanwhile).
 */
export async function installHttpPlumbing(
	app: FastifyInstance,
	{ clock, metrics, bodyLimit, pageForMiss }: { clock: Clock; metrics: ServiceMetrics; bodyLimit: number; pageForMiss?: PageForMiss },
): Promise<{ storageFullSince: () => number | undefined }> {
	app.setValidatorCompiler(zodValidatorCompiler);
	app.setSerializerCompiler(serializerCompiler);
	// A write refused for a full disk makes the service not ready until a write succeeds again.
	let storageFullSince: number | undefined;
	app.setErrorHandler(createErrorHandler(bodyLimit, () => (storageFullSince ??= clock.now())));

	const toJsonSchema = createJsonSchemaTransform({ schemaRegistry: apiSchemaRegistry });
	const transformComponents = createJsonSchemaTransformObject({ schemaRegistry: apiSchemaRegistry });
	await app.register(swagger, {
		openapi: {
			openapi: '3.1.0',
			info: { title: 'Org Provider Policy service', version: '1.0.0', license: { name: 'MIT', identifier: 'MIT' } },
			components: {
				securitySchemes: {
					bearerAuth: {
						type: 'http',
						scheme: 'bearer',
						description: "A member's or admin's access token (device flow), or an admin API token",
					},
					metricsToken: { type: 'http', scheme: 'bearer', description: 'The token the service was started with (--metrics-token)' },
				},
			},
		},
		transform: (route) => {
			const documented = toJsonSchema({ ...route, schema: withSignInRefusals(route.schema, route.url) ?? route.schema });
			const method = [route.route.method].flat()[0] ?? 'GET';
			const schema: FastifySchema & { operationId?: string } = { ...documented.schema, operationId: operationIdOf(method, route.url) };
			return { ...documented, schema };
		},
		transformObject: (documentObject) => tidyComponents(transformComponents(documentObject)),
	});
	// No answer is read as anything but the type it declares: a JSON error that echoes a field, or a
	// CSV export, is never sniffed into a page by a browser (the console's helmet says the same).
	app.addHook('onRequest', (_request, reply, done) => {
		reply.header(NO_SNIFF.name, NO_SNIFF.value);
		done();
	});
	// The API reads JSON only: a text body would reach its schemas as one string.
	app.removeContentTypeParser('text/plain');
	readJsonBodies(app);
	await app.register(rateLimit, { global: false });

	const responses = new ResponseCounter(app, (status) => {
		if (storageFullSince !== undefined && status < 400) {
			storageFullSince = undefined;
		}
	});
	metrics.countRequestsFrom(responses);
	app.setNotFoundHandler((request, reply) => {
		const path = request.url.split('?')[0]!;
		const methods = responses.routes.methodsAt(path);
		// RFC 9110 §15.5.6: where the resource exists, a 405 says which methods it answers. A route
		// that answers this method yet sent the request here (a missing file under the console's
		// assets) has no such resource: that is a 404.
		const allowed = methods.includes(request.method) ? '' : methods.join(', ');
		const miss = allowed
			? { status: 405 as const, error: 'method_not_allowed', message: `${path} answers ${allowed}, not ${request.method}` }
			: { status: 404 as const, error: 'not_found', message: `no route for ${request.method} ${path}` };
		if (allowed) {
			reply.header('allow', allowed);
		}
		const page = request.headers.accept?.includes('text/html') ? pageForMiss?.(path, miss) : undefined;
		if (page) {
			return reply.code(miss.status).headers(page.headers).type('text/html; charset=utf-8').send(page.body);
		}
		return reply.code(miss.status).send({ error: miss.error, message: miss.message });
	});
	return { storageFullSince: () => storageFullSince };
}
