import { parseWith, type ParseResult } from './errors';
import type { ModelSettings, ReasoningEffort } from './model-settings';
import {
	PolicyDocumentSchema,
	PolicyDocumentV1Schema,
	PolicyDocumentV2Schema,
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
		return parseWith(PolicyDocumentV2Schema, raw);
	}
	if (version === 3) {
		return parseWith(PolicyDocumentSchema, raw);
	}
	return {
		ok: false,
		errors: [{ path: 'schemaVersion', message: `must be ${SCHEMA_VERSIONS.slice(0, -1).join(', ')} or ${SCHEMA_VERSIONS.at(-1)}` }],
	};
}

/** Models only the Responses API serves: members of schema 2 and older cannot call them. */
function responsesOnly(document: PolicyDocument): Set<string> {
	const settings = document.provider?.models?.settings ?? {};
	return new Set(Object.keys(settings).filter((name) => settings[name]?.api === 'responses'));
}

/**
 * Whether members that know only `version` can be given this document: schema 1 has no room for a
 * plain-http endpoint beyond loopback, and members before schema 3 cannot call a model that only the
 * Responses API serves nor obtain an organization token — a policy whose every model needs it is not projected to them (those
 * members keep the policy they have — fail closed — until they update the extension).
 */
export function projectable(document: PolicyDocument, version: SchemaVersion): boolean {
	if (version >= document.schemaVersion) {
		return true;
	}
	// Members before schema 3 cannot obtain an organization token: they would send no credential.
	if (document.provider?.organizationToken) {
		return false;
	}
	const models = document.provider?.models;
	const hidden = responsesOnly(document);
	if (models && models.allowed.every((name) => hidden.has(name))) {
		return false;
	}
	return version >= 2 || document.provider?.allowPlainHttp !== true;
}

/** The efforts schema 3 added, as the nearest one schema 2 knows. */
const EFFORT_BEFORE_3: Partial<Record<ReasoningEffort, ReasoningEffort>> = { none: 'minimal', xhigh: 'high' };

/**
 * A model's settings as schema 2 has room for them (no `api`, `store`, effort set, summary or
 * verbosity; efforts it knows).
 */
function settingsV2(settings: ModelSettings): ModelSettings {
	const { api: _api, store: _store, reasoningEfforts: _efforts, reasoningSummary: _summary, ...rest } = settings;
	const { verbosity: _verbosity, ...pinned } = rest.pinned;
	const effort = pinned.reasoning_effort;
	const nearest = effort && EFFORT_BEFORE_3[effort];
	return {
		...rest,
		pinned: nearest ? { ...pinned, reasoning_effort: nearest } : pinned,
		forbidden: rest.forbidden.filter((name) => name !== 'verbosity'),
	};
}

/**
 * The same policy in an older schema version. Version 2 leaves out the models only the Responses
 * API serves (its members would offer models whose every request fails) and what version 3 added to
 * each model's settings; version 1 has no per-model settings at all (its members use each model
 * with the defaults, as they always did). Each projection is checked with the older version's own
 * schema, as its members will.
 */
export function projectDocument(document: PolicyDocument, version: SchemaVersion): PolicyDocument {
	if (version >= document.schemaVersion) {
		return document;
	}
	// Members before schema 3 do not report usage: there is nothing for them to be told.
	// Nor know group overlays: the document they get is the one made for them, without the names.
	const { usage: _usage, overlays: _overlays, overlaysMayChangeEndpoint: _endpoint, appliedOverlays: _applied, ...withoutUsage } = document;
	const { organizationToken: _token, ...provider } = document.provider ?? {};
	return projectProvider({ ...withoutUsage, ...(document.provider ? { provider: provider as typeof document.provider } : {}) }, version);
}

function projectProvider(document: PolicyDocument, version: SchemaVersion): PolicyDocument {
	const models = document.provider?.models;
	const hidden = responsesOnly(document);
	const kept = models && {
		allowed: models.allowed.filter((name) => !hidden.has(name)),
		...(models.default !== undefined && !hidden.has(models.default) ? { default: models.default } : {}),
	};
	if (version === 2) {
		const settings = models?.settings
			? Object.fromEntries(
					Object.entries(models.settings)
						.filter(([name]) => !hidden.has(name))
						.map(([name, value]) => [name, settingsV2(value)]),
				)
			: undefined;
		const projected = {
			...document,
			schemaVersion: 2,
			...(document.provider
				? { provider: { ...document.provider, ...(kept ? { models: { ...kept, ...(settings ? { settings } : {}) } } : {}) } }
				: {}),
		};
		return { ...PolicyDocumentV2Schema.parse(projected), schemaVersion: 2 } as PolicyDocument;
	}
	const projected = {
		...document,
		schemaVersion: 1,
		...(document.provider ? { provider: { ...withoutSchema2Fields(document.provider), ...(kept ? { models: kept } : {}) } } : {}),
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
