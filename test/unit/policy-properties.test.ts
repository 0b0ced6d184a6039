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
