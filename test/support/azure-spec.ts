import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import type { RecordedRequest } from './fake-endpoint';

const SPEC_FILE = join(__dirname, '..', 'fixtures', 'specs', 'azure-openai-inference-2024-06-01.json');

interface Operation {
	parameters: { in: string; name: string; required?: boolean }[];
	requestBody: { content: { 'application/json': { schema: { $ref: string } } } };
}
interface AzureSpec {
	servers: { url: string }[];
	paths: Record<string, Record<string, Operation>>;
	components: { securitySchemes: Record<string, { type: string; name?: string; in?: string }> };
}

let loaded: { spec: AzureSpec; ajv: Ajv } | undefined;
function azureSpec(): { spec: AzureSpec; ajv: Ajv } {
	if (!loaded) {
		assert.ok(existsSync(SPEC_FILE), `missing ${SPEC_FILE} (test/fixtures/specs)`);
		const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as AzureSpec;
		const ajv = new Ajv({ strict: false, allErrors: true });
		ajv.addSchema({ ...spec, $id: 'azure-inference' });
		loaded = { spec, ajv };
	}
	return loaded;
}

/**
 * Checks a recorded request against the vendored Azure OpenAI inference spec (2024-06-01): an
 * operation for its path and method, every required query parameter exactly once and no other,
 * and the body against the operation's schema. Returns the body validator and the key header's name.
 */
export function checkAgainstAzureSpec(request: RecordedRequest): { validate: ValidateFunction; keyHeader: string } {
	const { spec, ajv } = azureSpec();
	const server = new URL(spec.servers[0]!.url.replace('{endpoint}', 'x'));
	assert.ok(request.path.startsWith(server.pathname), `${request.path} is under ${server.pathname}`);
	const relative = request.path.slice(server.pathname.length);
	const match = Object.entries(spec.paths).find(([template]) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(relative));
	assert.ok(match, `no operation in the spec for ${relative}`);
	const operation = match[1][request.method.toLowerCase()];
	assert.ok(operation, `the spec has no ${request.method} for ${match[0]}`);
	for (const parameter of operation.parameters) {
		if (parameter.in === 'query' && parameter.required) {
			assert.equal(request.query[parameter.name]?.length, 1, `query parameter ${parameter.name} must appear exactly once`);
		}
	}
	assert.deepEqual(
		Object.keys(request.query).filter((name) => !operation.parameters.some((p) => p.in === 'query' && p.name === name)),
		[],
		'no query parameters beyond the spec',
	);
	const security = spec.components.securitySchemes.apiKey!;
	assert.equal(security.in, 'header');
	const validate = ajv.getSchema(`azure-inference${operation.requestBody.content['application/json'].schema.$ref}`)!;
	assert.ok(validate(request.body), JSON.stringify(validate.errors));
	return { validate, keyHeader: security.name!.toLowerCase() };
}
