import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

/** The published JSON Schemas (generated from the zod schemas) agree with what the service accepts and serves. */
describe('the policy JSON Schemas (#30 item 2)', function () {
	this.timeout(20_000);
	let service: RunningService;
	beforeEach(async () => {
		service = await startService();
	});
	afterEach(async () => service.close());

	const schemaOf = async (name: string) => {
		const response = await fetch(`${service.url}/api/v1/schema/${name}`);
		assert.equal(response.status, 200);
		assert.match(response.headers.get('content-type') ?? '', /^application\/schema\+json/);
		return (await jsonOf(response)) as Record<string, unknown>;
	};

	it('validates what the service accepts and refuses what it refuses, and describes the documents it signs', async () => {
		const settings = await schemaOf('policy-settings.json');
		assert.equal(settings.$id, `${service.url}/api/v1/schema/policy-settings.json`);
		const ajv = new Ajv2020({ strict: false, allErrors: true });
		const validSettingsDocument = ajv.compile(settings);
		const admin = (await service.signIn(ADMIN.email)).access_token;
		let revision = 1;
		for (const [name, value] of Object.entries(validSettings)) {
			assert.equal(validSettingsDocument(value), true, `${name}: ${JSON.stringify(validSettingsDocument.errors)}`);
			const saved = await putPolicy(service.url, admin, value, `"${revision}"`);
			assert.equal(saved.status, 200, `${name} is accepted by the service too`);
			revision++;
		}
		for (const wrong of [
			{ enabled: true, provider: { id: 'openai-compatible', baseUrl: 42 } },
			{ enabled: 'yes' },
			{ enabled: false, colour: 'blue' },
			{ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://ai.acme.example/v1' }, usage: { reporting: 'everything' } },
		]) {
			assert.equal(validSettingsDocument(wrong), false, JSON.stringify(wrong));
			assert.equal((await putPolicy(service.url, admin, wrong, `"${revision}"`)).status, 400, 'and the service refuses it');
		}
		const documentSchema = ajv.compile(await schemaOf('policy-document.json'));
		const served = await jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin, { 'org-policy-schema': '3' }) }));
		assert.equal(documentSchema(served.policy), true, JSON.stringify(documentSchema.errors));
		assert.equal((await fetch(`${service.url}/api/v1/schema/other.json`)).status, 400);
		const file = await schemaOf('policy-file.json');
		assert.equal(file.$id, `${service.url}/api/v1/schema/policy-file.json`);
		assert.equal(
			ajv.compile(file)({ kind: 'org-provider-policy/v1', policy: validSettings.plainCompatible }),
			true,
			'the file schema is served too',
		);
	});
});

describe("the README's policy files", () => {
	it('validate against the policy-file JSON Schema, and a file with a secret value where a reference belongs does too, while an unknown field does not', async () => {
		const { readFileSync } = await import('node:fs');
		const { join } = await import('node:path');
		const { parse } = await import('yaml');
		const { policyJsonSchemas } = await import('../../src/policy/json-schema');
		const schema = policyJsonSchemas('https://policy.acme.example/api/v1/schema')['policy-file'];
		const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
		const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
		const files = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
			.map((match) => match[1]!)
			.filter((block) => block.includes('kind: org-provider-policy/v1'));
		assert.ok(files.length >= 1, 'the README shows a policy file');
		for (const file of files) {
			assert.equal(validate(parse(file)), true, JSON.stringify(validate.errors));
		}
		const example = parse(files[0]!) as { policy: Record<string, unknown> };
		assert.equal(validate({ ...example, policy: { ...example.policy, colour: 'blue' } }), false);
		assert.equal(validate({ kind: 'something-else', policy: example.policy }), false);
	});
});
