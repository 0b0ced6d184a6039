import type { FastifySchema } from 'fastify';
import { ErrorSchema } from './schemas';

const SCHEMA_REF = /"#\/components\/schemas\/([^"]+)"/g;

interface OpenApiLike {
	paths?: unknown;
	components?: { schemas?: Record<string, unknown> };
}

/** The component schemas `value` refers to, by name. */
const refsIn = (value: unknown) => [...JSON.stringify(value ?? null).matchAll(SCHEMA_REF)].map((match) => match[1]!);

/**
 * The document's shared schemas as a client generator should see them. The zod type provider
 * registers every named schema twice, as read (`PolicySettingsInput`) and as written
 * (`PolicySettings`), whether or not an operation uses both: a generated client would get two
 * types where one is meant, and linters flag the unused half. So: only what the operations reach is
 * kept, and a schema used in one direction only keeps its plain name.
 */
export function tidyComponents<Document extends OpenApiLike>(document: Document): Document {
	const schemas = document.components?.schemas;
	if (!schemas) {
		return document;
	}
	const reached = new Set<string>();
	const pending = refsIn(document.paths);
	for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
		if (!reached.has(name) && name in schemas) {
			reached.add(name);
			pending.push(...refsIn(schemas[name]));
		}
	}
	const nameOf = (name: string) => {
		const plain = name.replace(/Input$/, '');
		return plain !== name && !reached.has(plain) ? plain : name;
	};
	const kept = Object.fromEntries(Object.entries(schemas).flatMap(([name, schema]) => (reached.has(name) ? [[nameOf(name), schema]] : [])));
	const text = JSON.stringify({ ...document, components: { ...document.components, schemas: kept } }).replace(
		SCHEMA_REF,
		(_ref, name: string) => `"#/components/schemas/${nameOf(name)}"`,
	);
	return JSON.parse(text) as Document;
}

/**
 * The refusals every signed-in operation can answer, documented where its route did not: 401
 * without a valid token, and 403 on the admin API for anyone but an admin. They come from the
 * authentication hooks, not the handlers, so the routes would otherwise each have to repeat them.
 */
export function withSignInRefusals<Schema extends FastifySchema>(schema: Schema | undefined, url: string): Schema | undefined {
	const signedIn = schema?.security?.some((requirement) => 'bearerAuth' in requirement) ?? false;
	if (!schema || !signedIn) {
		return schema;
	}
	const response = (schema.response ?? {}) as Record<string, unknown>;
	return {
		...schema,
		response: {
			401: ErrorSchema,
			...(url.startsWith('/api/v1/admin/') ? { 403: ErrorSchema } : {}),
			...response,
		},
	};
}
