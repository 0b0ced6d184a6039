import * as z from 'zod';

import { BaseUrlSchema, BaseUrlSchemaV2, HeadersSchema, isPlainHttpBeyondLoopback, PLAIN_HTTP_CHOICE } from './http-rules';
import { CONTROL_CHARACTERS, LIMITS } from './limits';
import { ModelSettingsSchema, ModelSettingsSchemaV2 } from './model-settings';
import { OrganizationTokenSettingsSchema } from './organization-token';

/**
 * The provider part of the policy: where requests go (base URL, headers, Azure), which models
 * members may use and each model's settings. `schema.ts` builds the documents around it.
 */

export const OPENAI_COMPATIBLE = 'openai-compatible';
export const DEFAULT_AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';

const DATED_API_VERSION = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;
const TENANT_ID =
	/^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;

export const text = (max: number) =>
	z
		.string('must be a string')
		.min(1, 'must not be empty')
		.max(max, `must be at most ${max} characters`)
		.refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');

export function apiVersionProblem(value: string): string | undefined {
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
	models: {
		allowed: string[];
		default?: string | undefined;
		settings?: Record<string, unknown> | undefined;
		utilityModel?: string | undefined;
		utilitySmallModel?: string | undefined;
	},
	ctx: z.RefinementCtx,
): void {
	const seen = new Set<string>();
	models.allowed.forEach((model, index) => {
		if (seen.has(model)) {
			ctx.addIssue({ code: 'custom', message: `${model} is listed twice`, path: ['allowed', index] });
		}
		seen.add(model);
	});
	for (const field of ['default', 'utilityModel', 'utilitySmallModel'] as const) {
		const named = models[field];
		if (named !== undefined && !seen.has(named)) {
			ctx.addIssue({ code: 'custom', message: `${named} is not in models.allowed`, path: [field] });
		}
	}
	for (const name of Object.keys(models.settings ?? {})) {
		if (!seen.has(name)) {
			ctx.addIssue({ code: 'custom', message: `${name} is not in models.allowed`, path: ['settings', name] });
		}
	}
}

/** Schema version 1's model list, frozen: what members of the first release accept. */
const ModelsSchemaV1 = z.strictObject(modelsShape).superRefine(checkModels);

/** Schema version 2's model list with its per-model settings, frozen. */
const ModelsSchemaV2 = z
	.strictObject({
		...modelsShape,
		settings: z.record(z.string(), ModelSettingsSchemaV2, 'must be an object of model names to settings').optional(),
	})
	.superRefine(checkModels);

export const ModelsSchema = z
	.strictObject({
		...modelsShape,
		/** Per-model settings (schema version 2 on), by model name; a model without an entry takes the defaults. */
		settings: z.record(z.string(), ModelSettingsSchema, 'must be an object of model names to settings').optional(),
		/**
		 * Schema version 3: the model VS Code's own chat should use for its background work (chat
		 * titles, commit messages: `chat.utilityModel`) and for its small, fast tasks
		 * (`chat.utilitySmallModel`). Members' VS Code is pointed at it once; a member may change it
		 * (an extension cannot lock another product's setting), and the console shows who did.
		 */
		utilityModel: text(LIMITS.modelNameLength).optional(),
		utilitySmallModel: text(LIMITS.modelNameLength).optional(),
	})
	.superRefine(checkModels);

/** Names of the header the client itself sends for the member's credential. */
export function credentialHeaderNames(provider: { azure?: unknown; organizationToken?: { header: string } | undefined }): string[] {
	const names = provider.azure ? ['authorization', 'api-key'] : ['authorization'];
	const token = provider.organizationToken?.header.toLowerCase();
	return token && !names.includes(token) ? [...names, token] : names;
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
			message: `must use https:, or, for an internal endpoint, turn on "${PLAIN_HTTP_CHOICE}" (allowPlainHttp: true; keys and prompts then cross the network unencrypted)`,
		});
	}
}

function checkCredentialHeaders(
	provider: {
		apiKeyRequired: boolean;
		azure?: { identityAuth: boolean } | undefined;
		organizationToken?: { header: string } | undefined;
		headers: Record<string, string>;
	},
	ctx: z.RefinementCtx,
): void {
	const memberCredential = provider.apiKeyRequired || provider.azure?.identityAuth === true || provider.organizationToken !== undefined;
	if (!memberCredential) {
		return;
	}
	const reserved = credentialHeaderNames(provider);
	for (const name of Object.keys(provider.headers)) {
		if (reserved.includes(name.toLowerCase())) {
			ctx.addIssue({
				code: 'custom',
				message: `${name} would replace the member's own credential; allowed only when apiKeyRequired is false, Azure identity authentication (azure.identityAuth) is off and no organization token is sent in it`,
				path: ['headers', name],
			});
		}
	}
}

const providerShapeV2 = {
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
};

/** One credential per member: their key, an Entra ID token, or the organization's token. */
function checkOneCredential(
	provider: { apiKeyRequired: boolean; azure?: { identityAuth: boolean } | undefined; organizationToken?: unknown },
	ctx: z.RefinementCtx,
): void {
	if (provider.organizationToken === undefined) {
		return;
	}
	if (provider.apiKeyRequired) {
		ctx.addIssue({
			code: 'custom',
			path: ['apiKeyRequired'],
			message: 'must be false when organizationToken is set: members send the organization token, not a key of their own',
		});
	}
	if (provider.azure?.identityAuth) {
		ctx.addIssue({
			code: 'custom',
			path: ['organizationToken'],
			message: 'cannot be combined with Azure identity authentication: members send one credential, choose one',
		});
	}
}

export const ProviderSchema = z
	.strictObject({
		...providerShapeV2,
		models: ModelsSchema.optional(),
		/** Schema version 3: members send a short-lived token the service issues them instead of a key. */
		organizationToken: OrganizationTokenSettingsSchema.optional(),
	})
	.superRefine(checkProvider)
	.superRefine(checkOneCredential);
/** Schema version 2's provider, frozen: what members of that release validate. */
export const ProviderSchemaV2 = z.strictObject({ ...providerShapeV2, models: ModelsSchemaV2.optional() }).superRefine(checkProvider);
export const ProviderSchemaV1 = z.strictObject({ ...providerShape, models: ModelsSchemaV1.optional() }).superRefine(checkCredentialHeaders);

export type ProviderSettings = z.infer<typeof ProviderSchema>;
