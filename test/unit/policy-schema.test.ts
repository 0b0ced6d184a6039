import assert from 'node:assert/strict';
import * as z from 'zod';
import {
	buildPolicyDocument,
	canonicalJson,
	formatFieldError,
	parseWith,
	PolicyDocumentSchema,
	parseDocument,
	PolicySettingsSchema,
	projectable,
	settingsOf,
	type PolicySettingsInput,
} from '../../src/policy';
import { stamp, validSettings } from '../support/policy-fixtures';

function errorsOf(input: unknown): string[] {
	const result = parseWith(PolicySettingsSchema, input);
	assert.equal(result.ok, false, `expected ${JSON.stringify(input)} to be refused`);
	return result.ok ? [] : result.errors.map(formatFieldError);
}

/** A valid Azure document with one change applied to its provider. */
function withProvider(change: Record<string, unknown>): PolicySettingsInput {
	const base = structuredClone(validSettings.azureDeployment);
	return { ...base, provider: { ...base.provider, ...change } } as PolicySettingsInput;
}

function assertRefused(input: unknown, path: string, fragment: string | RegExp): void {
	const errors = errorsOf(input);
	assert.equal(errors.length, 1, `expected exactly one error, got ${JSON.stringify(errors)}`);
	const [error] = errors;
	assert.ok(error!.startsWith(`${path}: `), `expected the error to name ${path}: ${error}`);
	if (typeof fragment === 'string') {
		assert.ok(error!.includes(fragment), `expected "${fragment}" in: ${error}`);
	} else {
		assert.match(error!, fragment);
	}
}

describe('policy schema v1', () => {
	describe('valid documents', () => {
		for (const [name, settings] of Object.entries(validSettings)) {
			it(`accepts ${name} and round-trips it through the canonical encoding`, () => {
				const parsed = parseWith(PolicySettingsSchema, settings);
				assert.ok(parsed.ok, JSON.stringify(parsed));
				const document = buildPolicyDocument(parsed.value, stamp);
				const encoded = canonicalJson(document);
				const reparsed = PolicyDocumentSchema.parse(JSON.parse(encoded));
				assert.deepEqual(reparsed, document);
				assert.equal(canonicalJson(reparsed), encoded);
				assert.deepEqual(settingsOf(document), parsed.value);
			});
		}

		it('fills the defaults a document must state explicitly', () => {
			const parsed = PolicySettingsSchema.parse(validSettings.azureV1);
			assert.equal(parsed.provider?.apiKeyRequired, true);
			assert.deepEqual(parsed.provider?.headers, {});
			assert.equal(parsed.provider?.azure?.identityAuth, false);
			assert.equal(parsed.provider?.azure?.scope, 'https://cognitiveservices.azure.com/.default');
		});
	});

	describe('each rule refuses with the field named', () => {
		it('requires a provider when enabled', () => assertRefused({ enabled: true }, 'provider', 'is required when enabled is true'));
		it('requires enabled', () => assertRefused({}, 'enabled', 'is required'));
		it('says what a field of the wrong kind must be, and what it is', () => {
			assertRefused(withProvider({ azure: ['2024-10-21'] }), 'provider.azure', /: must be an object, not a list$/);
			assertRefused(withProvider({ azure: '2024-10-21' }), 'provider.azure', /: must be an object, not a string$/);
			assertRefused({ ...withProvider({}), usage: { reporting: 'everything' } }, 'usage.reporting', /: must be "off" or "counts"$/);
		});
		it('says a number that did not parse must be a number (a coerced query or flag reaches zod as NaN)', () => {
			const limit = z.object({ limit: z.coerce.number().int() });
			assert.deepEqual(parseWith(limit, { limit: 'abc' }), { ok: false, errors: [{ path: 'limit', message: 'must be a number' }] });
		});
		it('refuses unknown fields', () => assertRefused(withProvider({ colour: 'blue' }), 'provider.colour', 'is not a known field'));
		it('refuses another provider id', () => assertRefused(withProvider({ id: 'openai' }), 'provider.id', 'only "openai-compatible"'));
		it('requires a base URL', () => assertRefused(withProvider({ baseUrl: undefined }), 'provider.baseUrl', 'is required'));
		it('refuses a relative base URL', () =>
			assertRefused(withProvider({ baseUrl: 'acme.openai.azure.com' }), 'provider.baseUrl', 'absolute URL'));
		it('refuses plain http to a remote host', () =>
			assertRefused(withProvider({ baseUrl: 'http://example.com' }), 'provider.baseUrl', 'must use https:'));
		it("takes plain http to an internal host only with the admin's explicit choice, and keeps it out of schema 1 (#14 item 9)", () => {
			assertRefused(
				withProvider({ baseUrl: 'http://vllm.internal:8000/v1' }),
				'provider.baseUrl',
				/turn on "Allow plain HTTP" \(allowPlainHttp: true; keys and prompts then cross the network unencrypted\)/,
			);
			const chosen = parseWith(
				PolicySettingsSchema,
				withProvider({ baseUrl: 'http://vllm.internal:8000/v1', allowPlainHttp: true, azure: undefined, models: undefined }),
			);
			assert.ok(chosen.ok, JSON.stringify(chosen));
			const document = buildPolicyDocument(chosen.value, stamp);
			assert.equal(document.provider?.allowPlainHttp, true);
			assert.equal(projectable(document, 1), false, 'first-release members refuse plain http: they are not sent it');
			assert.equal(projectable(document, 2), true);
			assert.equal(
				parseWith(PolicySettingsSchema, withProvider({ baseUrl: 'http://vllm.internal:8000/v1', allowPlainHttp: 'yes' })).ok,
				false,
			);
		});
		it('allows plain http to loopback only', () => {
			for (const baseUrl of ['http://localhost:8000', 'http://127.0.0.1:1234/v1', 'http://[::1]:8080']) {
				assert.ok(parseWith(PolicySettingsSchema, withProvider({ baseUrl })).ok, baseUrl);
			}
			assertRefused(withProvider({ baseUrl: 'http://127.example.com' }), 'provider.baseUrl', 'must use https:');
		});
		it('refuses other schemes', () =>
			assertRefused(withProvider({ baseUrl: 'ftp://acme.example' }), 'provider.baseUrl', 'must use https:, not ftp:'));
		it('refuses credentials in the base URL', () =>
			assertRefused(withProvider({ baseUrl: 'https://user:secret@acme.example' }), 'provider.baseUrl', 'must not contain credentials'));
		it('refuses a fragment in the base URL', () =>
			assertRefused(withProvider({ baseUrl: 'https://acme.example/v1#x' }), 'provider.baseUrl', 'fragment'));
		it('refuses an overlong base URL', () =>
			assertRefused(withProvider({ baseUrl: `https://acme.example/${'a'.repeat(2100)}` }), 'provider.baseUrl', 'at most 2048'));
		it('refuses a header name that is not a token', () =>
			assertRefused(withProvider({ headers: { 'X Tenant': 'acme' } }), 'provider.headers.X Tenant', 'RFC 7230 token'));
		it('refuses a line break in a header value', () =>
			assertRefused(withProvider({ headers: { 'X-Foo': 'a\r\nInjected: yes' } }), 'provider.headers.X-Foo', 'value contains a line break'));
		it('refuses a NUL in a header value', () =>
			assertRefused(withProvider({ headers: { 'X-Foo': 'a\u0000b' } }), 'provider.headers.X-Foo', 'value contains a NUL character'));
		it('refuses other control characters in a header value but allows tabs', () => {
			assertRefused(withProvider({ headers: { 'X-Foo': 'a\u0007b' } }), 'provider.headers.X-Foo', 'control character');
			assert.ok(parseWith(PolicySettingsSchema, withProvider({ headers: { 'X-Foo': 'a\tb' } })).ok);
		});
		it('refuses an overlong header value', () =>
			assertRefused(withProvider({ headers: { 'X-Foo': 'v'.repeat(4097) } }), 'provider.headers.X-Foo', 'at most 4096'));
		it('refuses too many headers', () => {
			const headers = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-H${i}`, 'v']));
			assertRefused(withProvider({ headers }), 'provider.headers', 'at most 32 headers');
		});
		for (const name of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'keep-alive', 'Upgrade']) {
			it(`refuses the framing header ${name}`, () =>
				assertRefused(withProvider({ headers: { [name]: 'x' } }), `provider.headers.${name}`, 'set by the HTTP client'));
		}
		it('refuses the same header twice in different case', () =>
			assertRefused(
				withProvider({ headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } }),
				'provider.headers.x-tenant',
				'duplicates header X-Tenant',
			));
		it('refuses Authorization while members send a key', () =>
			assertRefused(
				withProvider({ headers: { Authorization: 'Bearer x' } }),
				'provider.headers.Authorization',
				"replace the member's own credential",
			));
		it("names the organization's own header mistake once, not again under each group overlay", () => {
			const settings = withProvider({ headers: { Authorization: 'Bearer x' } });
			const overlays = [
				{ group: 'Research', headers: { 'X-Lab': 'on' } },
				{ group: 'Platform', headers: { 'X-Team': 'platform' } },
			];
			assertRefused({ ...settings, overlays }, 'provider.headers.Authorization', "replace the member's own credential");
		});
		it("names an overlay's own header mistake under that overlay", () =>
			assertRefused(
				{
					...withProvider({}),
					overlays: [
						{ group: 'Platform', headers: { 'X-Team': 'platform' } },
						{ group: 'Research', headers: { Authorization: 'Bearer x' } },
					],
				},
				'overlays[1].headers.Authorization',
				"replace the member's own credential",
			));
		it('refuses api-key on Azure while members send a key', () =>
			assertRefused(withProvider({ headers: { 'api-key': 'x' } }), 'provider.headers.api-key', "replace the member's own credential"));
		it('refuses Authorization when Entra ID is on even without a member key', () =>
			assertRefused(
				withProvider({ apiKeyRequired: false, azure: { apiVersion: '2024-06-01', identityAuth: true }, headers: { authorization: 'x' } }),
				'provider.headers.authorization',
				"replace the member's own credential",
			));
		it('allows api-key on a non-Azure endpoint (it is not our credential header there)', () => {
			const settings = structuredClone(validSettings.plainCompatible);
			assert.ok(parseWith(PolicySettingsSchema, { ...settings, provider: { ...settings.provider, headers: { 'api-key': 'x' } } }).ok);
		});
		it('refuses a malformed api-version', () =>
			assertRefused(withProvider({ azure: { apiVersion: '2024-6-1' } }), 'provider.azure.apiVersion', 'YYYY-MM-DD'));
		it('refuses an api-version that is not a calendar date', () =>
			assertRefused(withProvider({ azure: { apiVersion: '2024-02-30-preview' } }), 'provider.azure.apiVersion', 'not a calendar date'));
		it('accepts the api-version forms Azure uses', () => {
			for (const apiVersion of ['2024-06-01', '2025-04-01-preview', 'preview', 'latest']) {
				assert.ok(parseWith(PolicySettingsSchema, withProvider({ azure: { apiVersion } })).ok, apiVersion);
			}
		});
		it('refuses a tenant that is neither GUID nor domain', () =>
			assertRefused(withProvider({ azure: { tenantId: 'not a tenant' } }), 'provider.azure.tenantId', 'tenant GUID'));
		it('refuses a scope that is not https …/.default', () => {
			assertRefused(withProvider({ azure: { scope: 'https://cognitiveservices.azure.com/' } }), 'provider.azure.scope', '/.default');
			assertRefused(withProvider({ azure: { scope: 'http://cognitiveservices.azure.com/.default' } }), 'provider.azure.scope', 'https URL');
		});
		it('refuses a non-boolean identityAuth', () =>
			assertRefused(withProvider({ azure: { identityAuth: 'yes' } }), 'provider.azure.identityAuth', 'true or false'));
		it('refuses an empty allowed-models list', () =>
			assertRefused(withProvider({ models: { allowed: [] } }), 'provider.models.allowed', 'at least one'));
		it('refuses a default model outside the allowed list', () =>
			assertRefused(
				withProvider({ models: { allowed: ['gpt-4o'], default: 'gpt-5' } }),
				'provider.models.default',
				'not in models.allowed',
			));
		it('refuses a model listed twice, naming its index', () =>
			assertRefused(withProvider({ models: { allowed: ['a', 'b', 'a'] } }), 'provider.models.allowed[2]', 'listed twice'));
		it('refuses too many models', () =>
			assertRefused(
				withProvider({ models: { allowed: Array.from({ length: 201 }, (_, i) => `m${i}`) } }),
				'provider.models.allowed',
				'at most 200',
			));
		it('requires deployment names for the Azure deployments API, saying why (#13 item 2)', () => {
			const classic = { baseUrl: 'https://acme.openai.azure.com', azure: { apiVersion: '2024-06-01' }, models: undefined };
			assertRefused(withProvider(classic), 'provider.models.allowed', /list the deployment names .* Azure's model list names base models/);
			// Where Azure's listing is not used to pick the deployment, no list is needed.
			const accepted = (change: Record<string, unknown>) => parseWith(PolicySettingsSchema, withProvider({ ...classic, ...change })).ok;
			assert.equal(
				accepted({ baseUrl: 'https://acme.openai.azure.com/openai/deployments/gpt-4o-prod' }),
				true,
				"a deployment's URL names the model",
			);
			assert.equal(accepted({ baseUrl: 'https://acme.openai.azure.com/openai/v1', azure: {} }), true, 'the v1 API takes model names');
			assert.equal(accepted({ azure: undefined }), true, 'not Azure');
		});
		it('refuses a dated api-version for the Azure v1 API, saying why', () =>
			assertRefused(
				withProvider({ baseUrl: 'https://acme.openai.azure.com/openai/v1', azure: { apiVersion: '2024-06-01' } }),
				'provider.azure.apiVersion',
				'takes no dated api-version',
			));
		it('refuses control characters in the admin contact', () =>
			assertRefused({ ...validSettings.disabled, adminContact: 'a\nb' }, 'adminContact', 'control characters'));
	});

	describe('stamped documents', () => {
		const document = () => buildPolicyDocument(PolicySettingsSchema.parse(validSettings.azureDeployment), stamp);
		const documentErrors = (input: unknown) => {
			const result = parseDocument(input);
			assert.equal(result.ok, false);
			return result.ok ? [] : result.errors.map(formatFieldError);
		};

		it('carries the admin contact inside organization', () => {
			assert.equal(document().organization.adminContact, 'ai-platform@acme.example');
		});
		it('refuses a schema version it does not know', () =>
			assert.deepEqual(documentErrors({ ...document(), schemaVersion: 4 }), ['schemaVersion: must be 1, 2 or 3']));
		it('validates a version 1 document as version 1 did: per-model settings are unknown there', () => {
			const withSettings = {
				...document(),
				schemaVersion: 1,
				provider: { ...document().provider, models: { allowed: ['gpt-4o'], settings: { 'gpt-4o': {} } } },
			};
			assert.deepEqual(documentErrors(withSettings), ['provider.models.settings: is not a known field']);
		});
		it('refuses a revision below 1', () =>
			assert.deepEqual(documentErrors({ ...document(), revision: 0 }), ['revision: must be at least 1']));
		it('refuses a fractional revision', () =>
			assert.match(documentErrors({ ...document(), revision: 1.5 })[0]!, /^revision: must be a whole number/));
		it('refuses a malformed date', () =>
			assert.deepEqual(documentErrors({ ...document(), updatedAt: 'yesterday' }), ['updatedAt: must be an ISO 8601 date-time']));
		it('refuses a malformed organization id', () =>
			assert.match(documentErrors({ ...document(), organization: { id: 'Acme Corp', name: 'Acme' } })[0]!, /^organization\.id: /));
	});
});
