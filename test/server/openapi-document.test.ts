import assert from 'node:assert/strict';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { jsonOf, startService, type RunningService } from '../support/service';

/**
 * The OpenAPI document the service generates from its route schemas, as a client generator or an
 * API gateway reads it: checked with Redocly's linter (its `recommended` rules, the ones
 * `redocly lint` applies by default), every operation named and every route documented.
 */
describe('the OpenAPI document', () => {
	let service: RunningService;

	before(async () => {
		service = await startService();
	});
	after(async () => service.close());

	it("passes Redocly's recommended rules with no error and no warning", async () => {
		const source = await (await fetch(`${service.url}/api/v1/openapi.json`)).text();
		// These take no input and no sign-in: nothing a client sends them can be refused, so they have no 4XX answer to document.
		const nothingToRefuse = [
			'/healthz',
			'/readyz',
			'/api/v1/openapi.json',
			'/.well-known/oauth-authorization-server',
			'/.well-known/jwks.json',
		].map((path) => `#/paths/${path.replaceAll('/', '~1')}/get/responses`);
		const problems = await lintFromString({
			source,
			absoluteRef: 'openapi.json',
			config: await createConfig({ extends: ['recommended'] }),
		});
		const described = problems
			.filter((problem) => !(problem.ruleId === 'operation-4xx-response' && nothingToRefuse.includes(problem.location[0]?.pointer ?? '')))
			.map((problem) => `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? '?'}: ${problem.message}`);
		assert.deepEqual(described, []);
	});

	it('declares who may call each operation: a bearer token, or nobody in particular (public)', async () => {
		const openapi = await jsonOf(await fetch(`${service.url}/api/v1/openapi.json`));
		const operations = Object.entries(openapi.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
			([path, methods]) =>
				Object.entries(methods).map(([method, operation]) => ({ at: `${method.toUpperCase()} ${path}`, security: operation.security })),
		);
		assert.deepEqual(
			operations.filter((operation) => operation.security === undefined).map((operation) => operation.at),
			[],
			'every operation says, none is left to a default',
		);
		const open = (at: string) => operations.find((operation) => operation.at === at)?.security;
		assert.deepEqual(open('POST /oauth/token'), []);
		assert.deepEqual(open('GET /healthz'), []);
		assert.deepEqual(open('GET /api/v1/policy'), [{ bearerAuth: [] }]);
		assert.deepEqual(open('PUT /api/v1/admin/policy'), [{ bearerAuth: [] }]);
	});

	it('names its shared schemas once, as clients will call them', async () => {
		const openapi = await jsonOf(await fetch(`${service.url}/api/v1/openapi.json`));
		const names = Object.keys(openapi.components.schemas as object);
		assert.deepEqual(
			names.filter((name) => name.endsWith('Input')),
			[],
			'one name for a schema read and written alike',
		);
		const settings = openapi.components.schemas.PolicySettings;
		assert.deepEqual(settings.required, ['enabled']);
		assert.equal(settings.properties.provider.properties.id.const, 'openai-compatible');
		assert.equal(
			openapi.paths['/api/v1/admin/policy'].put.requestBody.content['application/json'].schema.$ref,
			'#/components/schemas/PolicySettings',
		);
		assert.equal(openapi.info.license.identifier, 'MIT');
	});

	it('names every operation in the OpenAPI document, once, after its method and path (for generated clients)', async () => {
		const openapi = await jsonOf(await fetch(`${service.url}/api/v1/openapi.json`));
		const ids = Object.values(openapi.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((methods) =>
			Object.values(methods).map((operation) => operation.operationId),
		);
		assert.ok(ids.length >= 40, `only ${ids.length} operations`);
		assert.deepEqual(
			ids.filter((id) => !id || !/^[a-z]+[A-Za-z0-9]*$/.test(id)),
			[],
		);
		assert.equal(new Set(ids).size, ids.length, 'no two operations share a name');
		assert.equal(openapi.paths['/api/v1/admin/policy'].put.operationId, 'putAdminPolicy');
		assert.equal(openapi.paths['/api/v1/admin/members/{id}'].delete.operationId, 'deleteAdminMembersById');
		assert.equal(openapi.paths['/oauth/token'].post.operationId, 'postOauthToken');
		assert.equal(openapi.paths['/.well-known/jwks.json'].get.operationId, 'getWellKnownJwksJson');
	});

	it('documents every API route in the OpenAPI document, generated from the route schemas', async () => {
		const openapi = await jsonOf(await fetch(`${service.url}/api/v1/openapi.json`));
		const documented = new Set(
			Object.entries(openapi.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
				Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
			),
		);
		const routes = service.routes.filter((route) => !route.hidden && route.method !== 'HEAD');
		assert.ok(routes.length >= 14, `only ${routes.length} routes seen`);
		for (const route of routes) {
			const path = route.url.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
			assert.ok(documented.has(`${route.method} ${path}`), `${route.method} ${path} is not in the OpenAPI document`);
		}
		assert.ok(
			service.routes.some((route) => route.url === '/console/settings' && route.hidden),
			'console pages are left out',
		);
	});
});
