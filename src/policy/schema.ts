import { z } from 'zod';

// endpoint.ts imports only types from here, so there is no cycle at run time.
import { planEndpoint, type EndpointPlan } from './endpoint';
import { BaseUrlSchema, BaseUrlSchemaV2, HeadersSchema, isPlainHttpBeyondLoopback, PLAIN_HTTP_CHOICE } from './http-rules';
import { CONTROL_CHARACTERS, LIMITS } from './limits';
import { ModelSettingsSchema } from './model-settings';

export { LIMITS } from './limits';
export { BaseUrlSchema, HeadersSchema, isLoopbackHost, isPlainHttpBeyondLoopback, PLAIN_HTTP_CHOICE } from './http-rules';

/**
 * The provider policy: the one definition both programs import. Every rule refuses with a
 * message that, joined to the issue's path, names the field.
 *
 * Schema version 2 added per-model settings (`provider.models.settings`). Members that know only
 * version 1 validate strictly, so the service serves each member the newest version it states it
 * understands, projected down (`policy-versions.ts`) and signed in that version.
 */

/** The newest schema version: what admins write and new members read. */
export const SCHEMA_VERSION = 2;
export const SCHEMA_VERSIONS = [1, 2] as const;
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];
export const OPENAI_COMPATIBLE = 'openai-compatible';
export const DEFAULT_AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';

const ORGANIZATION_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const DATED_API_VERSION = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;
const TENANT_ID =
	/^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;

const text = (max: number) =>
	z
		.string('must be a string')
		.min(1, 'must not be empty')
		.max(max, `must be at most ${max} characters`)
		.refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');

function apiVersionProblem(value: string): string | undefined {
	if (value === 'preview' || value === 'latest') {
		return undefined;
	}
	const match = DATED_API_VERSION.exec(value);
	if (!match) {
		return 'must look like YYYY-MM-DD or YYYY-MM-DD-preview (or preview/latest for the v1 API)';
	}
	const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
	const date = new Date(Date.UTC(year, month - 1, day));
	if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
		return `${value.slice(0, 10)} is not a calendar date`;
	}
	return undefined;
}

export const AzureSchema = z.strictObject({
	apiVersion: z
		.string('must be a string')
		.max(32, 'must be at most 32 characters')
		.superRefine((value, ctx) => {
			const problem = apiVersionProblem(value);
			if (problem) {
				ctx.addIssue({ code: 'custom', message: problem });
			}
		})
		.optional(),
	identityAuth: z.boolean('must be true or false').default(false),
	tenantId: z.string('must be a string').regex(TENANT_ID, 'must be a tenant GUID or a domain such as contoso.onmicrosoft.com').optional(),
	scope: z
		.url({ protocol: /^https$/, error: 'must be an https URL ending in /.default' })
		.max(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`)
		.refine((value) => value.endsWith('/.default'), 'must be an https URL ending in /.default')
		.default(DEFAULT_AZURE_SCOPE),
});

const modelsShape = {
	allowed: z
		.array(text(LIMITS.modelNameLength), 'must be a list of model names')
		.min(1, 'must name at least one model')
		.max(LIMITS.modelCount, `must name at most ${LIMITS.modelCount} models`),
	default: text(LIMITS.modelNameLength).optional(),
};

function checkModels(
	models: { allowed: string[]; default?: string | undefined; settings?: Record<string, unknown> | undefined },
	ctx: z.RefinementCtx,
): void {
	const seen = new Set<string>();
	models.allowed.forEach((model, index) => {
		if (seen.has(model)) {
			ctx.addIssue({ code: 'custom', message: `${model} is listed twice`, path: ['allowed', index] });
		}
		seen.add(model);
	});
	if (models.default !== undefined && !seen.has(models.default)) {
		ctx.addIssue({ code: 'custom', message: `${models.default} is not in models.allowed`, path: ['default'] });
	}
	for (const name of Object.keys(models.settings ?? {})) {
		if (!seen.has(name)) {
			ctx.addIssue({ code: 'custom', message: `${name} is not in models.allowed`, path: ['settings', name] });
		}
	}
}

/** Schema version 1's model list, frozen: what members of the first release accept. */
const ModelsSchemaV1 = z.strictObject(modelsShape).superRefine(checkModels);

export const ModelsSchema = z
	.strictObject({
		...modelsShape,
		/** Per-model settings (schema version 2), by model name; a model without an entry takes the defaults. */
		settings: z.record(z.string(), ModelSettingsSchema, 'must be an object of model names to settings').optional(),
	})
	.superRefine(checkModels);

/** Names of the header the client itself sends for the member's credential. */
export function credentialHeaderNames(provider: { azure?: unknown }): string[] {
	return provider.azure ? ['authorization', 'api-key'] : ['authorization'];
}

const providerShape = {
	id: z.literal(OPENAI_COMPATIBLE, `only "${OPENAI_COMPATIBLE}" can be enforced`),
	baseUrl: BaseUrlSchema,
	headers: HeadersSchema.default({}),
	apiKeyRequired: z.boolean('must be true or false').default(true),
	azure: AzureSchema.optional(),
};

function checkProvider(
	provider: {
		baseUrl: string;
		apiKeyRequired: boolean;
		allowPlainHttp?: boolean | undefined;
		readableHeaders?: string[] | undefined;
		azure?: { identityAuth: boolean; apiVersion?: string | undefined } | undefined;
		headers: Record<string, string>;
	},
	ctx: z.RefinementCtx,
): void {
	const version = provider.azure?.apiVersion;
	if (version && DATED_API_VERSION.test(version) && /\/openai\/v1\/?(\?|$)/.test(provider.baseUrl)) {
		ctx.addIssue({
			code: 'custom',
			message: 'the Azure v1 API (…/openai/v1) takes no dated api-version: leave it empty, or use preview or latest',
			path: ['azure', 'apiVersion'],
		});
	}
	checkCredentialHeaders(provider, ctx);
	(provider.readableHeaders ?? []).forEach((name, index) => {
		if (!Object.keys(provider.headers).some((header) => header.toLowerCase() === name.toLowerCase())) {
			ctx.addIssue({ code: 'custom', path: ['readableHeaders', index], message: `${name} is not one of the custom headers` });
		}
	});
	if (isPlainHttpBeyondLoopback(provider.baseUrl) && provider.allowPlainHttp !== true) {
		ctx.addIssue({
			code: 'custom',
			path: ['baseUrl'],
			message: `must use https:, or, for an internal endpoint, turn on "${PLAIN_HTTP_CHOICE}" (keys and prompts then cross the network unencrypted)`,
		});
	}
}

function checkCredentialHeaders(
	provider: { apiKeyRequired: boolean; azure?: { identityAuth: boolean } | undefined; headers: Record<string, string> },
	ctx: z.RefinementCtx,
): void {
	const memberCredential = provider.apiKeyRequired || provider.azure?.identityAuth === true;
	if (!memberCredential) {
		return;
	}
	const reserved = credentialHeaderNames(provider);
	for (const name of Object.keys(provider.headers)) {
		if (reserved.includes(name.toLowerCase())) {
			ctx.addIssue({
				code: 'custom',
				message: `${name} would replace the member's own credential; allowed only when apiKeyRequired is false and Azure identity authentication is off`,
				path: ['headers', name],
			});
		}
	}
}

export const ProviderSchema = z
	.strictObject({
		...providerShape,
		baseUrl: BaseUrlSchemaV2,
		/**
		 * The admin's explicit choice to call a plain-http endpoint beyond this machine (an internal
		 * vLLM, say): members are warned that keys and prompts cross the network unencrypted.
		 */
		allowPlainHttp: z.boolean('must be true or false').optional(),
		/**
		 * Custom headers whose values are not secret (a tenant or team name): the console and the
		 * revision history show them. Every other header value is masked there. Members get all values.
		 */
		readableHeaders: z
			.array(z.string('must be a header name'), 'must be a list of header names')
			.max(LIMITS.headerCount, `must name at most ${LIMITS.headerCount} headers`)
			.optional(),
		models: ModelsSchema.optional(),
	})
	.superRefine(checkProvider);
const ProviderSchemaV1 = z.strictObject({ ...providerShape, models: ModelsSchemaV1.optional() }).superRefine(checkCredentialHeaders);

export const OrganizationSchema = z.strictObject({
	id: z.string('must be a string').regex(ORGANIZATION_ID, 'must be 1–64 lowercase letters, digits or hyphens'),
	name: text(LIMITS.nameLength),
	adminContact: text(LIMITS.nameLength).optional(),
});

function requireProviderWhenEnabled(value: { enabled: boolean; provider?: unknown }, ctx: z.RefinementCtx): void {
	if (value.enabled && !value.provider) {
		ctx.addIssue({ code: 'custom', message: 'is required when enabled is true', path: ['provider'] });
	}
}

/**
 * The Azure deployments API (a dated api-version) is called per deployment, and Azure's model list
 * names base models (dall-e-3, gpt-35-turbo…), not the resource's deployments: without a list the
 * picker would offer models whose first request fails with DeploymentNotFound. Checked where admins
 * write settings, not in the document, so no revision a member already holds becomes invalid.
 */
function requireDeploymentNames(value: { provider?: ProviderSettings | undefined }, ctx: z.RefinementCtx): void {
	const provider = value.provider;
	if (!provider?.azure || provider.models) {
		return;
	}
	let plan: EndpointPlan;
	try {
		plan = planEndpoint(provider);
	} catch {
		return; // the base URL's own error says what is wrong
	}
	// An api-version that is itself wrong gets its own error; this one would only add noise.
	if (plan.style === 'azure-deployments' && !plan.deployment && apiVersionProblem(plan.apiVersion) === undefined) {
		ctx.addIssue({
			code: 'custom',
			path: ['provider', 'models', 'allowed'],
			message:
				"list the deployment names members may use: with a dated API version each request goes to a deployment, and Azure's model list names base models, not your deployments (or put one deployment's URL in the base URL)",
		});
	}
}

/** What an admin writes; the service adds organization, revision and authorship. */
export const PolicySettingsSchema = z
	.strictObject({
		enabled: z.boolean('must be true or false'),
		provider: ProviderSchema.optional(),
		adminContact: text(LIMITS.nameLength).optional(),
	})
	.superRefine(requireProviderWhenEnabled)
	.superRefine(requireDeploymentNames);

const documentShape = {
	organization: OrganizationSchema,
	revision: z.int('must be a whole number').min(1, 'must be at least 1'),
	updatedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
	updatedBy: text(320),
	enabled: z.boolean('must be true or false'),
};

/** The newest document (schema version 2). */
export const PolicyDocumentSchema = z
	.strictObject({ schemaVersion: z.literal(2, 'must be 2'), ...documentShape, provider: ProviderSchema.optional() })
	.superRefine(requireProviderWhenEnabled);
/** Schema version 1, frozen: exactly what members of the first release validate. */
export const PolicyDocumentV1Schema = z
	.strictObject({ schemaVersion: z.literal(1, 'must be 1'), ...documentShape, provider: ProviderSchemaV1.optional() })
	.superRefine(requireProviderWhenEnabled);

export type ProviderSettings = z.infer<typeof ProviderSchema>;
export type Organization = z.infer<typeof OrganizationSchema>;
export type PolicySettings = z.infer<typeof PolicySettingsSchema>;
export type PolicySettingsInput = z.input<typeof PolicySettingsSchema>;
/** A verified document of either version; a version 1 document is a version 2 one without model settings. */
export type PolicyDocument = Omit<z.infer<typeof PolicyDocumentSchema>, 'schemaVersion'> & { schemaVersion: SchemaVersion };
export type PolicyDocumentV1 = z.infer<typeof PolicyDocumentV1Schema>;

export interface DocumentStamp {
	organization: { id: string; name: string };
	revision: number;
	updatedAt: string;
	updatedBy: string;
}

/** The document an admin's settings become once the service stamps them. */
export function buildPolicyDocument(settings: PolicySettings, stamp: DocumentStamp): PolicyDocument {
	const { adminContact, ...rest } = settings;
	return PolicyDocumentSchema.parse({
		schemaVersion: SCHEMA_VERSION,
		organization: { ...stamp.organization, ...(adminContact ? { adminContact } : {}) },
		revision: stamp.revision,
		updatedAt: stamp.updatedAt,
		updatedBy: stamp.updatedBy,
		...rest,
	});
}

/** The admin-editable part of a document, e.g. to prefill the console. */
export function settingsOf(document: PolicyDocument): PolicySettings {
	return {
		enabled: document.enabled,
		...(document.provider ? { provider: document.provider } : {}),
		...(document.organization.adminContact ? { adminContact: document.organization.adminContact } : {}),
	};
}
