import * as z from 'zod';

// endpoint.ts imports only types from here, so there is no cycle at run time.
import { planEndpoint, type EndpointPlan } from './endpoint';
import { LIMITS } from './limits';
import { UsageSettingsSchema } from './usage';
import { overlaidProvider, OverlaySchema, OverlaysSchema, type Overlay } from './overlays';
import { apiVersionProblem, ProviderSchema, ProviderSchemaV1, ProviderSchemaV2, text, type ProviderSettings } from './provider-schema';

export { LIMITS } from './limits';
export {
	BaseUrlSchema,
	BaseUrlSchemaV2,
	HeadersSchema,
	isLoopbackHost,
	isPlainHttpBeyondLoopback,
	PLAIN_HTTP_CHOICE,
	withoutQuery,
} from './http-rules';
export {
	AzureSchema,
	credentialHeaderNames,
	DEFAULT_AZURE_SCOPE,
	ModelsSchema,
	OPENAI_COMPATIBLE,
	ProviderSchema,
	type ProviderSettings,
} from './provider-schema';

/**
 * The provider policy: the one definition both programs import. Every rule refuses with a
 * message that, joined to the issue's path, names the field.
 *
 * Schema version 2 added per-model settings (`provider.models.settings`); version 3 added the API a
 * model is called through (`api`: Chat Completions or the Responses API), `store`, and the
 * reasoning efforts `none` and `xhigh`, and what usage the extension reports (`usage`). Members validate strictly, so the service serves each
 * member the newest version it states it understands, projected down (`versions.ts`) and signed
 * in that version.
 */

/** The newest schema version: what admins write and new members read. */
export const SCHEMA_VERSION = 3;
export const SCHEMA_VERSIONS = [1, 2, 3] as const;
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

const ORGANIZATION_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

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

/**
 * Overlays change the provider: with no provider there is nothing to change. Each overlay must
 * leave its members a valid provider (headers that do not take the credential's place, an endpoint
 * the organization's rules accept), a budget needs usage reporting, and an endpoint change needs the
 * organization's consent.
 */
function checkOverlays(
	value: {
		provider?: ProviderSettings | undefined;
		usage?: { reporting: string } | undefined;
		overlays?: Overlay[] | undefined;
		overlaysMayChangeEndpoint?: boolean | undefined;
	},
	ctx: z.RefinementCtx,
): void {
	if (!value.overlays?.length) {
		return;
	}
	const provider = value.provider;
	if (!provider) {
		ctx.addIssue({ code: 'custom', path: ['overlays'], message: 'change the provider: set the provider first' });
		return;
	}
	// The organization's own provider is checked where it stands: its mistakes are not each overlay's too.
	const issueKey = (issue: z.core.$ZodIssue) => `${issue.path.join('.')}\n${issue.message}`;
	const providersOwn = new Set(ProviderSchema.safeParse(provider).error?.issues.map(issueKey));
	value.overlays.forEach((overlay, index) => {
		const at = (...path: PropertyKey[]) => ['overlays', index, ...path];
		if (overlay.baseUrl !== undefined && value.overlaysMayChangeEndpoint !== true) {
			ctx.addIssue({
				code: 'custom',
				path: at('baseUrl'),
				message: 'may change the endpoint only where the policy allows it: turn on overlaysMayChangeEndpoint',
			});
		}
		if (overlay.budget !== undefined && value.usage?.reporting !== 'counts') {
			ctx.addIssue({
				code: 'custom',
				path: at('budget'),
				message: 'needs usage reporting ("counts"): a budget is measured from what members report',
			});
		}
		// An overlay its own schema refused has said why already; what is left comes from combining it with the organization's.
		const effective = OverlaySchema.safeParse(overlay).success ? ProviderSchema.safeParse(overlaidProvider(provider, overlay)) : undefined;
		for (const issue of effective?.success === false ? effective.error.issues.filter((issue) => !providersOwn.has(issueKey(issue))) : []) {
			const [field, ...rest] = issue.path;
			const own = field === 'headers' || field === 'baseUrl' || field === 'models';
			ctx.addIssue({ code: 'custom', path: own ? at(field, ...rest) : at(), message: issue.message });
		}
	});
}

/** What an admin writes; the service adds organization, revision and authorship. */
export const PolicySettingsSchema = z
	.strictObject({
		enabled: z.boolean('must be true or false'),
		provider: ProviderSchema.optional(),
		adminContact: text(LIMITS.nameLength).optional(),
		usage: UsageSettingsSchema.optional(),
		/** Group overlays, in the order they apply (schema version 3). */
		overlays: OverlaysSchema.optional(),
		/** Whether an overlay may send its group to another base URL (off: overlays never change the endpoint). */
		overlaysMayChangeEndpoint: z.boolean('must be true or false').optional(),
	})
	.superRefine(requireProviderWhenEnabled)
	.superRefine(checkOverlays)
	.superRefine(requireDeploymentNames);

const documentShape = {
	organization: OrganizationSchema,
	revision: z.int('must be a whole number').min(1, 'must be at least 1'),
	updatedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
	updatedBy: text(320),
	enabled: z.boolean('must be true or false'),
};

/** The newest document (schema version 3). */
export const PolicyDocumentSchema = z
	.strictObject({
		schemaVersion: z.literal(3, 'must be 3'),
		...documentShape,
		provider: ProviderSchema.optional(),
		usage: UsageSettingsSchema.optional(),
		/** The overlays' definitions: in the revision as stored, never in what a member receives. */
		overlays: OverlaysSchema.optional(),
		overlaysMayChangeEndpoint: z.boolean('must be true or false').optional(),
		/** The overlays applied to make this member's document, in order. */
		appliedOverlays: z.array(text(LIMITS.nameLength), 'must be a list of group names').max(50).optional(),
	})
	.superRefine(requireProviderWhenEnabled);
/** Schema version 2, frozen: exactly what members of that release validate. */
export const PolicyDocumentV2Schema = z
	.strictObject({ schemaVersion: z.literal(2, 'must be 2'), ...documentShape, provider: ProviderSchemaV2.optional() })
	.superRefine(requireProviderWhenEnabled);
/** Schema version 1, frozen: exactly what members of the first release validate. */
export const PolicyDocumentV1Schema = z
	.strictObject({ schemaVersion: z.literal(1, 'must be 1'), ...documentShape, provider: ProviderSchemaV1.optional() })
	.superRefine(requireProviderWhenEnabled);

export type Organization = z.infer<typeof OrganizationSchema>;
export type PolicySettings = z.infer<typeof PolicySettingsSchema>;
export type PolicySettingsInput = z.input<typeof PolicySettingsSchema>;
/** A verified document of any version; an older one is a newer one without the fields its version lacks. */
export type PolicyDocument = Omit<z.infer<typeof PolicyDocumentSchema>, 'schemaVersion'> & { schemaVersion: SchemaVersion };
export type PolicyDocumentV1 = z.infer<typeof PolicyDocumentV1Schema>;
export type PolicyDocumentV2 = z.infer<typeof PolicyDocumentV2Schema>;

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
		...(document.usage ? { usage: document.usage } : {}),
		...(document.overlays?.length ? { overlays: document.overlays } : {}),
		...(document.overlaysMayChangeEndpoint !== undefined ? { overlaysMayChangeEndpoint: document.overlaysMayChangeEndpoint } : {}),
	};
}
