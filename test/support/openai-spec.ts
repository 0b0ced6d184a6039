import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { parse } from 'yaml';

const SPECS = join(__dirname, '..', 'fixtures', 'specs');

/** OpenAPI 3.0's `nullable` (which the spec still uses in places) as JSON Schema 2020-12 says it. */
function normalize(node: unknown): unknown {
	if (Array.isArray(node)) {
		return node.map(normalize);
	}
	if (node === null || typeof node !== 'object') {
		return node;
	}
	const { nullable, ...rest } = node as Record<string, unknown>;
	const out: Record<string, unknown> = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, normalize(value)]));
	if (nullable === true && typeof out.type === 'string') {
		out.type = [out.type, 'null'];
	}
	return out;
}

let ajv: Ajv2020 | undefined;

/** A validator for one schema of OpenAI's published API description (vendored in test/fixtures/specs). */
export function openAiSchema(name: string): ValidateFunction {
	if (!ajv) {
		const spec = parse(readFileSync(join(SPECS, 'openai-openapi.yaml'), 'utf8')) as { components: unknown };
		ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
		ajv.addSchema({ $id: 'openai', components: normalize(spec.components) });
	}
	const validate = ajv.getSchema(`openai#/components/schemas/${name}`);
	if (!validate) {
		throw new Error(`the OpenAI spec has no schema ${name}`);
	}
	return validate;
}
