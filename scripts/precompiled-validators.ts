// Generates, at build time, the validators the extension checks its cached policy with while it
// starts (dist/policy-validators.js): Ajv's standalone code for the JSON Schemas zod itself derives
// from the same schemas the service and the rest of the extension validate with, so the start-up
// path needs neither zod nor a schema compiler. Run by esbuild.config.mjs; the unit tests load the
// same source.
import Ajv2020 from 'ajv/dist/2020';
import standaloneCode from 'ajv/dist/standalone';
import * as z from 'zod';
import { SignedPolicySchema, PolicyDocumentSchema } from '../src/policy';
import { PinSchema } from '../src/extension/sync/policy-cache';

/** The validators' names in the generated module; see `PrecompiledValidators`. */
const SCHEMAS = { envelope: SignedPolicySchema, document: PolicyDocumentSchema, pin: PinSchema } as const;

/** CommonJS source exporting one Ajv validate function per schema in {@link SCHEMAS}. */
export function precompiledValidatorsSource(): string {
	// `validateFormats: false`: zod writes each string format's regular expression as a `pattern`
	// too, which Ajv checks; the format names alone would need another package at run time.
	const ajv = new Ajv2020({ code: { source: true, esm: false }, strict: false, validateFormats: false, allErrors: false, messages: false });
	for (const [name, schema] of Object.entries(SCHEMAS)) {
		ajv.addSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', reused: 'ref' }) as object, name);
	}
	return standaloneCode(ajv, Object.fromEntries(Object.keys(SCHEMAS).map((name) => [name, name])));
}
