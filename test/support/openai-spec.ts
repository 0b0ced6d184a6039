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
	// The description uses oneOf where its alternatives overlap (a user message with content parts is
	// both an EasyInputMessage and an InputMessage): strict oneOf would refuse what the API accepts.
	const out: Record<string, unknown> = Object.fromEntries(
		Object.entries(rest).map(([key, value]) => [key === 'oneOf' ? 'anyOf' : key, normalize(value)]),
	);
	if (nullable === true && typeof out.type === 'string') {
		out.type = [out.type, 'null'];
	}
	return out;
}

let ajv: Ajv2020 | undefined;
type Schemas = Record<string, { properties?: { type?: { enum?: string[] } } }>;
let schemas: Schemas | undefined;

/** A validator for one schema of OpenAI's published API description (vendored in test/fixtures/specs). */
export function openAiSchema(name: string): ValidateFunction {
	if (!ajv) {
		const spec = parse(readFileSync(join(SPECS, 'openai-openapi.yaml'), 'utf8')) as { components: { schemas: Schemas } };
		schemas = spec.components.schemas;
		ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
		ajv.addSchema({ $id: 'openai', components: normalize(spec.components) });
	}
	const validate = ajv.getSchema(`openai#/components/schemas/${name}`);
	if (!validate) {
		throw new Error(`the OpenAI spec has no schema ${name}`);
	}
	return validate;
}

/** The validator of the Responses API stream event of this `type` (e.g. `response.output_text.delta`). */
export function responseEventSchema(type: string): ValidateFunction {
	openAiSchema('ResponseStreamEvent');
	const name = Object.keys(schemas!).find(
		(candidate) => /^Response\w*Event$/.test(candidate) && (schemas![candidate]!.properties?.type?.enum ?? []).includes(type),
	);
	if (!name) {
		throw new Error(`the OpenAI spec has no Responses stream event ${type}`);
	}
	return openAiSchema(name);
}
