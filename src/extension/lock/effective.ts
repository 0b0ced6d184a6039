import type { EffectiveProvider } from '../../client';
import {
	BaseUrlSchemaV2,
	formatFieldError,
	HeadersSchema,
	isPlainHttpBeyondLoopback,
	parseWith,
	withoutQuery,
	type PolicyDocument,
} from '../../policy';

/** Providers a member may choose from when no policy is in force. */
export const PRESETS = [
	{ id: 'openai', label: 'OpenAI', baseUrl: 'https://api.openai.com/v1', apiKeyRequired: true },
	{ id: 'openrouter', label: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', apiKeyRequired: true },
	{ id: 'ollama', label: 'Ollama', baseUrl: 'http://localhost:11434/v1', apiKeyRequired: false },
	{ id: 'lmstudio', label: 'LM Studio', baseUrl: 'http://localhost:1234/v1', apiKeyRequired: false },
	{ id: 'custom', label: 'OpenAI Compatible (any URL)', baseUrl: undefined, apiKeyRequired: true },
] as const;

export type PresetId = (typeof PRESETS)[number]['id'];

/** The member's own provider settings (`orgProviderPolicy.provider.*`). */
export interface MemberProviderSettings {
	preset: PresetId;
	baseUrl: string | undefined;
	headers: Record<string, string>;
}

export interface EffectiveSettings {
	locked: boolean;
	source: 'policy' | 'member';
	organization: { id: string; name: string; adminContact?: string | undefined } | undefined;
	/** Undefined when the member's choice is incomplete (e.g. custom without a URL). */
	provider: EffectiveProvider | undefined;
	/** What the picker and the badge show. */
	label: string;
	/** What the member should know about this provider (e.g. a plain-HTTP endpoint), shown in the chat view. */
	warnings: string[];
}

/** A pin exists but no policy verifies: locked, with no provider at all, until one does. */
export function unverifiedSettings(organizationId: string): EffectiveSettings {
	return {
		locked: true,
		source: 'policy',
		organization: { id: organizationId, name: organizationId },
		provider: undefined,
		label: `Locked — cannot verify ${organizationId}'s policy`,
		warnings: [],
	};
}

export function managedLabel(organization: string): string {
	return `OpenAI Compatible — managed by ${organization}`;
}

/** Effective settings = the policy when it is enabled, otherwise the member's own. */
export function effectiveSettings(policy: PolicyDocument | undefined, member: MemberProviderSettings): EffectiveSettings {
	if (policy?.enabled && policy.provider) {
		return {
			locked: true,
			source: 'policy',
			organization: policy.organization,
			provider: policy.provider,
			label: managedLabel(policy.organization.name),
			warnings: isPlainHttpBeyondLoopback(policy.provider.baseUrl)
				? [
						`${policy.organization.name} set a plain-HTTP endpoint (${new URL(policy.provider.baseUrl).host}): your key and prompts cross the network unencrypted.`,
					]
				: [],
		};
	}
	const preset = PRESETS.find((candidate) => candidate.id === member.preset) ?? PRESETS[0];
	// A base URL or header the member typed that no request could carry is named, and nothing is sent
	// (the policy's own rules, plain http allowed, since the member chose the endpoint).
	const problems = memberSettingProblems(member);
	if (problems.length) {
		return {
			locked: false,
			source: 'member',
			organization: policy?.organization,
			provider: undefined,
			label: preset.label,
			warnings: problems,
		};
	}
	const baseUrl = member.baseUrl || preset.baseUrl;
	return {
		locked: false,
		source: 'member',
		organization: policy?.organization,
		provider: baseUrl ? { baseUrl, headers: member.headers, apiKeyRequired: preset.apiKeyRequired } : undefined,
		label: preset.label,
		warnings: [],
	};
}

/** What is wrong with the member's own base URL and headers, one sentence per setting at fault. */
function memberSettingProblems(member: MemberProviderSettings): string[] {
	const problems: string[] = [];
	const baseUrl = member.baseUrl ? parseWith(BaseUrlSchemaV2, member.baseUrl) : undefined;
	if (baseUrl && !baseUrl.ok) {
		problems.push(`Your setting orgProviderPolicy.provider.baseUrl ${baseUrl.errors.map((error) => error.message).join('; ')}.`);
	}
	const headers = parseWith(HeadersSchema, member.headers);
	if (!headers.ok) {
		// Names only: a header's value may be a secret.
		problems.push(`Your setting orgProviderPolicy.provider.headers: ${headers.errors.map(formatFieldError).join('; ')}.`);
	}
	return problems;
}

export interface ProviderChoice {
	id: PresetId | 'managed';
	label: string;
	detail: string | undefined;
	locked: boolean;
}

/** What the provider picker offers: only the managed provider while locked, the presets otherwise. */
export function providerChoices(effective: EffectiveSettings): ProviderChoice[] {
	if (effective.locked) {
		return [
			{ id: 'managed', label: effective.label, detail: effective.provider && withoutQuery(effective.provider.baseUrl), locked: true },
		];
	}
	return PRESETS.map((preset) => ({
		id: preset.id,
		label: preset.label,
		detail: preset.baseUrl ?? 'enter any OpenAI-compatible base URL',
		locked: false,
	}));
}

/** Models a member may pick: the policy's allowed list, else whatever the endpoint lists. */
export function allowedModels(
	provider: EffectiveProvider | undefined,
	listed: readonly string[],
): { models: string[]; preferred: string | undefined } {
	const allowed = provider?.models?.allowed;
	return allowed
		? { models: [...allowed], preferred: provider?.models?.default ?? allowed[0] }
		: { models: [...listed], preferred: listed[0] };
}

/** The one message for a member who edited settings the organization manages. */
/** One short line for the chat view's row, the picker and the model details: who manages the provider and whom to ask. */
export function managedByLine(effective: EffectiveSettings): string | undefined {
	const organization = effective.organization;
	return effective.locked && organization
		? `Managed by ${organization.name}${organization.adminContact ? ` · ${organization.adminContact}` : ''}`
		: undefined;
}

export function managedSettingsMessage(effective: EffectiveSettings): string {
	const contact = effective.organization?.adminContact ? ` Contact ${effective.organization.adminContact} to change them.` : '';
	return `${effective.organization?.name ?? 'Your organization'} manages the AI provider settings; your changes to them are ignored while its policy is in force.${contact}`;
}
