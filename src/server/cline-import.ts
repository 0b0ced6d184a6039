import { stringify as toYaml } from 'yaml';
import { POLICY_FILE_KIND } from './policy-file';

/**
 * A Cline remote configuration (its `RemoteConfigSchema`, version v1: `providerSettings.OpenAiCompatible`
 * with `openAiBaseUrl`, `openAiHeaders`, `azureApiVersion` and `models`) turned into a policy file.
 * Every Cline field that does not carry over is named with the reason, never dropped silently.
 */
export interface ClineImport {
	text: string;
	/** Environment variables the file's header references name: set them to the Cline file's values where plan and apply run. */
	variables: string[];
	/** Each Cline field left behind, and why. */
	leftOut: { field: string; reason: string }[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const GENERAL_FIELDS: Record<string, string> = {
	telemetryEnabled: "Cline's own telemetry: not a provider setting (use usage.reporting for this policy's usage counts)",
	mcpMarketplaceEnabled: 'MCP settings are Cline features, not provider settings',
	allowedMCPServers: 'MCP settings are Cline features, not provider settings',
	remoteMCPServers: 'MCP settings are Cline features, not provider settings',
	yoloModeAllowed: 'a Cline feature, not a provider setting',
	globalRules: "Cline's rules files are Cline features, not provider settings",
	globalWorkflows: "Cline's workflow files are Cline features, not provider settings",
};

export function importClineConfig(raw: unknown): { ok: true; value: ClineImport } | { ok: false; error: string } {
	if (!isObject(raw)) {
		return { ok: false, error: 'not a Cline remote configuration: expected a JSON object' };
	}
	const providers = isObject(raw.providerSettings) ? raw.providerSettings : {};
	const compatible = providers.OpenAiCompatible;
	if (!isObject(compatible) || typeof compatible.openAiBaseUrl !== 'string') {
		return {
			ok: false,
			error: 'providerSettings.OpenAiCompatible.openAiBaseUrl is missing: only an OpenAI Compatible provider can be carried over',
		};
	}
	const leftOut: ClineImport['leftOut'] = [];
	for (const name of Object.keys(providers).filter((name) => name !== 'OpenAiCompatible')) {
		leftOut.push({ field: `providerSettings.${name}`, reason: 'only the OpenAI Compatible provider can be enforced by this policy' });
	}
	for (const [key, value] of Object.entries(raw)) {
		if (value === undefined || key === 'version' || key === 'providerSettings') {
			continue;
		}
		const reason =
			GENERAL_FIELDS[key] ??
			(key.startsWith('openTelemetry')
				? "Cline's own OpenTelemetry export: this service exports usage with --otlp-metrics-url"
				: 'not a setting this policy has');
		leftOut.push({ field: key, reason });
	}
	const headers: Record<string, { fromEnv: string }> = {};
	const variables: string[] = [];
	for (const name of Object.keys(isObject(compatible.openAiHeaders) ? compatible.openAiHeaders : {})) {
		// Cline keeps header values in its file; a policy file keeps none, only where to read them.
		const variable = `ORG_POLICY_HEADER_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
		headers[name] = { fromEnv: variable };
		variables.push(variable);
	}
	const models = (Array.isArray(compatible.models) ? compatible.models : []).filter(isObject);
	const settings: Record<string, Json> = {};
	models.forEach((model, index) => {
		const id = String(model.id);
		const entry: Json = {};
		if (typeof model.maxTokens === 'number') {
			entry.maxOutputTokens = model.maxTokens;
		}
		if (typeof model.contextWindow === 'number') {
			entry.contextWindow = model.contextWindow;
		}
		if (typeof model.supportsImages === 'boolean') {
			entry.imageInput = model.supportsImages;
		}
		if (typeof model.temperature === 'number') {
			entry.pinned = { temperature: model.temperature };
		}
		for (const field of ['inputPrice', 'outputPrice']) {
			if (model[field] !== undefined) {
				leftOut.push({
					field: `providerSettings.OpenAiCompatible.models[${index}].${field}`,
					reason: 'prices are not part of this policy (usage counts tokens; apply your prices to the CSV export)',
				});
			}
		}
		if (model.isR1FormatRequired !== undefined) {
			leftOut.push({
				field: `providerSettings.OpenAiCompatible.models[${index}].isR1FormatRequired`,
				reason: 'a Cline message format; members send the OpenAI format',
			});
		}
		if (Object.keys(entry).length) {
			settings[id] = entry;
		}
	});
	for (const key of Object.keys(compatible)) {
		if (!['openAiBaseUrl', 'openAiHeaders', 'azureApiVersion', 'azureIdentity', 'models'].includes(key)) {
			leftOut.push({ field: `providerSettings.OpenAiCompatible.${key}`, reason: 'not a setting this policy has' });
		}
	}
	const azure =
		typeof compatible.azureApiVersion === 'string' || compatible.azureIdentity === true
			? {
					...(typeof compatible.azureApiVersion === 'string' ? { apiVersion: compatible.azureApiVersion } : {}),
					...(compatible.azureIdentity === true ? { identityAuth: true } : {}),
				}
			: undefined;
	const policy = {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: compatible.openAiBaseUrl,
			headers,
			...(azure ? { azure } : {}),
			...(models.length
				? { models: { allowed: models.map((model) => String(model.id)), ...(Object.keys(settings).length ? { settings } : {}) } }
				: {}),
		},
	};
	const text = `# Imported from a Cline remote configuration. Check it with org-policy plan -f before apply.\n${toYaml({ kind: POLICY_FILE_KIND, policy })}`;
	return { ok: true, value: { text, variables, leftOut } };
}
