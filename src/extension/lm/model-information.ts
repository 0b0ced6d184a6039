import type { ModelSettings, TokenizerName } from '../../policy';
import { managedByLine, type EffectiveSettings } from '../lock/effective';

/** Defaults for a model the policy says nothing about; the README's admin section lists them. */
export const MODEL_DEFAULTS = { contextWindow: 128_000, maxOutputTokens: 4096, toolCalling: true, imageInput: false } as const;

/** One model as VS Code's `LanguageModelChatInformation` describes it. */
export interface ModelInformation {
	readonly id: string;
	readonly name: string;
	readonly family: string;
	readonly version: string;
	readonly maxInputTokens: number;
	readonly maxOutputTokens: number;
	readonly capabilities: { readonly toolCalling: boolean; readonly imageInput: boolean };
	readonly tooltip: string;
	readonly detail: string;
}

export function modelSettingsOf(effective: EffectiveSettings, model: string): ModelSettings | undefined {
	return effective.locked ? effective.provider?.models?.settings?.[model] : undefined;
}

/** The models a member may use, described from the organization's per-model settings (or the defaults). */
export function modelInformation(effective: EffectiveSettings, models: readonly string[]): ModelInformation[] {
	const host = effective.provider ? new URL(effective.provider.baseUrl).host : 'no endpoint';
	const organization = effective.organization;
	const managedBy = managedByLine(effective) ?? `Your own provider (${effective.label})`;
	return models.map((id) => {
		const settings = modelSettingsOf(effective, id);
		return {
			id,
			name: settings?.displayName ?? id,
			family: id,
			version: id,
			maxInputTokens: settings?.contextWindow ?? MODEL_DEFAULTS.contextWindow,
			maxOutputTokens: settings?.maxOutputTokens ?? MODEL_DEFAULTS.maxOutputTokens,
			capabilities: {
				toolCalling: settings?.toolCalling ?? MODEL_DEFAULTS.toolCalling,
				imageInput: settings?.imageInput ?? MODEL_DEFAULTS.imageInput,
			},
			detail: managedBy,
			tooltip: effective.locked
				? `${id} on ${host}, set by ${organization?.name ?? 'your organization'}'s policy: requests carry its headers and credentials.`
				: `${id} on ${host}, your own provider.`,
		};
	});
}

/**
 * The encoding whose counts match a model: the policy's word for it first; otherwise the public
 * OpenAI model names whose encoding is known. Anything else is estimated (see {@link estimateTokens}).
 */
export function tokenizerFor(model: string, settings: ModelSettings | undefined): TokenizerName | undefined {
	if (settings?.tokenizer) {
		return settings.tokenizer;
	}
	if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/i.test(model)) {
		return 'o200k_base';
	}
	if (/^(gpt-4|gpt-3\.5|gpt-35)/i.test(model)) {
		return 'cl100k_base';
	}
	return undefined;
}

/** The documented estimate for models with no public encoding: one token per four characters, rounded up. */
export function estimateTokens(text: string): number {
	return Math.ceil(text.length / 4);
}
