import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWith, PolicySettingsSchema } from '../../src/policy';
import { validSettings } from '../support/policy-fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths into a JSON value, so a mutation can land anywhere in the document. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
	const here = [prefix];
	if (Array.isArray(value)) {
		return here.concat(...value.map((item, index) => pathsOf(item, [...prefix, index])));
	}
	if (value && typeof value === 'object') {
		return here.concat(...Object.entries(value).map(([key, item]) => pathsOf(item, [...prefix, key])));
	}
	return here;
}

function setAt(root: Json, path: (string | number)[], replacement: Json | undefined): Json | undefined {
	if (path.length === 0) {
		return replacement;
	}
	const copy = structuredClone(root) as Record<string | number, Json | undefined>;
	let cursor = copy;
	for (const segment of path.slice(0, -1)) {
		cursor = cursor[segment] as Record<string | number, Json | undefined>;
	}
	const last = path[path.length - 1]!;
	if (replacement === undefined) {
		delete cursor[last];
	} else {
		cursor[last] = replacement;
	}
	return copy as Json;
}

const replacements = fc.oneof(
	fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
	fc.constantFrom<Json | undefined>(undefined, '', 'http://example.com', 'a\r\nb', '2024-13-01', -1, [], {}),
	fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('policy schema under random mutation', () => {
	for (const [name, settings] of Object.entries(validSettings)) {
		it(`property: a mutated ${name} document is accepted or refused with a field path, never thrown at`, () => {
			const documentPaths = pathsOf(settings as Json);
			fc.assert(
				fc.property(fc.constantFrom(...documentPaths), replacements, (path, replacement) => {
					const mutated = setAt(settings as Json, path, replacement);
					const result = parseWith(PolicySettingsSchema, mutated);
					if (!result.ok) {
						assert.ok(result.errors.length > 0);
						for (const error of result.errors) {
							assert.equal(typeof error.message, 'string');
							assert.ok(error.message.length > 0);
							// Only a wholly wrong document may be refused without a field path.
							if (error.path === '') {
								assert.ok(path.length === 0, `unnamed field error for mutation at ${JSON.stringify(path)}: ${error.message}`);
							}
						}
					}
				}),
				{ numRuns: 300 },
			);
		});
	}
});

describe('what the schema accepts, the client can send unchanged', () => {
	const withProvider = (provider: Record<string, unknown>) => ({
		enabled: true,
		provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', ...provider },
	});
	// Anything a person could paste: Latin-1, general Unicode, whitespace and control characters, the console's mask.
	const anyText = fc.oneof(
		fc.string({ unit: 'binary', maxLength: 30 }),
		fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 30 }),
		fc.constantFrom('••••••', 'price €5', 'a\u2028b', ' padded', 'tab\tinside', '\u201cquoted\u201d'),
	);

	it('property: every accepted header value passes through fetch Headers byte for byte', () => {
		fc.assert(
			fc.property(anyText, (value) => {
				const result = parseWith(PolicySettingsSchema, withProvider({ headers: { 'X-Any': value } }));
				if (result.ok) {
					const sent = new Headers({ 'X-Any': value }).get('x-any');
					assert.equal(sent, value, `accepted ${JSON.stringify(value)} but a client would send ${JSON.stringify(sent)}`);
				}
			}),
			{ numRuns: 2000 },
		);
	});

	it('property: every accepted base URL reaches the host and path it names (the URL parser rewrites nothing)', () => {
		const urls = fc.oneof(
			fc.webUrl({ withQueryParameters: true }),
			fc.tuple(fc.webUrl(), anyText, fc.nat({ max: 40 })).map(([url, junk, at]) => url.slice(0, at) + junk + url.slice(at)),
		);
		fc.assert(
			fc.property(urls, (baseUrl) => {
				const result = parseWith(PolicySettingsSchema, withProvider({ baseUrl }));
				if (result.ok) {
					// What the admin wrote is what is called: the URL round-trips through the parser unchanged.
					const href = new URL(baseUrl).href;
					assert.ok(href === baseUrl || href === `${baseUrl}/`, `${JSON.stringify(baseUrl)} is read as ${href}`);
				}
			}),
			{ numRuns: 2000 },
		);
	});
});
