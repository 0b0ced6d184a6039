import { parseWith, type ParseResult } from './errors';
import {
	PolicyDocumentSchema,
	PolicyDocumentV1Schema,
	SCHEMA_VERSION,
	SCHEMA_VERSIONS,
	type PolicyDocument,
	type SchemaVersion,
} from './schema';

/**
 * The request header in which a member states the newest policy schema version it understands
 * (it understands every older one too). A member that sends none is from the first release and
 * understands version 1 only.
 */
export const SCHEMA_HEADER = 'org-policy-schema';

/** The event stream's response header announcing its heartbeat interval, in seconds. */
export const HEARTBEAT_HEADER = 'org-policy-heartbeat';

/** The version to serve a member that sent this header: the newest both sides know. */
export function negotiateSchemaVersion(header: string | undefined): SchemaVersion {
	const stated = Number(header?.trim());
	if (!Number.isInteger(stated) || stated < 1) {
		return 1;
	}
	return Math.min(stated, SCHEMA_VERSION) as SchemaVersion;
}

/** Validates a document by the schema version it declares. */
export function parseDocument(raw: unknown): ParseResult<PolicyDocument> {
	const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
	if (version === 1) {
		return parseWith(PolicyDocumentV1Schema, raw);
	}
	if (version === 2) {
		return parseWith(PolicyDocumentSchema, raw);
	}
	return { ok: false, errors: [{ path: 'schemaVersion', message: `must be ${SCHEMA_VERSIONS.join(' or ')}` }] };
}

/**
 * The same policy in an older schema version: version 1 has no per-model settings, so they are
 * left out (members on version 1 use each model with the defaults, as they always did).
 */
/**
 * Whether members that know only `version` can be given this document: schema 1 has no room for a
 * plain-http endpoint beyond loopback, so such a policy is not projected (those members keep the
 * policy they have — fail closed — until they update the extension).
 */
export function projectable(document: PolicyDocument, version: SchemaVersion): boolean {
	return version === 2 || document.provider?.allowPlainHttp !== true;
}

export function projectDocument(document: PolicyDocument, version: SchemaVersion): PolicyDocument {
	if (version === document.schemaVersion || version === 2) {
		return document;
	}
	const models = document.provider?.models;
	const projected = {
		...document,
		schemaVersion: 1,
		...(document.provider
			? {
					provider: {
						...withoutSchema2Fields(document.provider),
						...(models
							? { models: { allowed: models.allowed, ...(models.default !== undefined ? { default: models.default } : {}) } }
							: {}),
					},
				}
			: {}),
	};
	// Whatever version 1 members will check, checked here first.
	return { ...PolicyDocumentV1Schema.parse(projected), schemaVersion: 1 };
}

/** Without what schema 2 added to the provider and schema 1 members would refuse as unknown. */
function withoutSchema2Fields<T extends { allowPlainHttp?: boolean | undefined; readableHeaders?: string[] | undefined }>(
	provider: T,
): Omit<T, 'allowPlainHttp' | 'readableHeaders'> {
	const { allowPlainHttp: _choice, readableHeaders: _readable, ...rest } = provider;
	return rest;
}
