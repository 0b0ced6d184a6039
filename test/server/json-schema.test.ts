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
	});
});
