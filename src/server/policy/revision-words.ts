import type { FieldChange } from './revision-diff';

/** The console's own labels for the settings an admin edits there. */
const LABELS: Readonly<Record<string, string>> = {
	enabled: 'Enable settings',
	adminContact: 'Admin contact',
	'provider.id': 'API Provider',
	'provider.baseUrl': 'Base URL',
	'provider.apiKeyRequired': 'Members enter their own API key',
	'provider.allowPlainHttp': 'Allow plain HTTP',
	'provider.readableHeaders': 'Headers shown in the console',
	'provider.azure.apiVersion': 'Azure API Version',
	'provider.azure.identityAuth': 'Azure Identity Authentication',
	'provider.azure.scope': 'Entra ID scope',
	'provider.azure.tenantId': 'Entra ID tenant',
	'provider.models.allowed': 'Allowed models',
	'provider.models.default': 'Default model',
	'provider.models.utilityModel': "VS Code's utility model",
	'provider.models.utilitySmallModel': "VS Code's small utility model",
	'provider.organizationToken.audience': 'Organization token audience',
	'provider.organizationToken.lifetimeMinutes': 'Organization token lifetime (minutes)',
	'provider.organizationToken.header': 'Organization token header',
	'usage.reporting': 'Usage reporting',
	'usage.budget.monthlyTokens': 'Monthly token budget',
	'usage.budget.enforcement': 'Budget enforcement',
	'overlays order': 'Group overlays, in order',
	overlaysMayChangeEndpoint: 'Overlays may change the endpoint',
};

/** An overlay's field, as the organization's field it changes. */
const OVERLAY_FIELD = /^overlays\[(.+?)\]\.(models|headers|baseUrl|budget)(\..+)?$/;
const OVERLAY_TARGET: Readonly<Record<string, string>> = {
	models: 'provider.models',
	headers: 'provider.headers',
	baseUrl: 'provider.baseUrl',
	budget: 'usage.budget',
};

export const MODEL_LABELS: Readonly<Record<string, string>> = {
	displayName: 'display name',
	contextWindow: 'context window',
	maxOutputTokens: 'max output',
	toolCalling: 'tools',
	imageInput: 'images',
	reasoning: 'reasoning model',
	api: 'API',
	store: 'stored by the service',
	reasoningEfforts: 'efforts members may pick',
	reasoningSummary: 'reasoning summary',
	forbidden: 'parameters removed',
	tokenizer: 'tokenizer',
	'pinned.reasoning_effort': 'reasoning effort',
};

/** Values the console fills in itself: a field that appears or disappears at its default changed nothing an admin chose. */
const DEFAULTS: Readonly<Record<string, string>> = {
	'provider.id': '"openai-compatible"',
	'provider.apiKeyRequired': 'true',
	'provider.azure.identityAuth': 'false',
	'usage.reporting': '"off"',
	'provider.organizationToken.header': '"Authorization"',
	'provider.azure.scope': '"https://cognitiveservices.azure.com/.default"',
	'provider.readableHeaders': '[]',
	toolCalling: 'true',
	imageInput: 'false',
	reasoning: 'false',
	forbidden: '[]',
	api: '"chat-completions"',
	store: 'false',
};

/** A stored JSON value as the console shows it: text without quotes, lists comma-separated, switches as on/off. */
export function shown(value: string | undefined): string {
	if (value === undefined) {
		return '—';
	}
	try {
		const parsed: unknown = JSON.parse(value);
		if (typeof parsed === 'boolean') {
			return parsed ? 'on' : 'off';
		}
		if (Array.isArray(parsed)) {
			return parsed.length ? parsed.join(', ') : 'none';
		}
		return typeof parsed === 'string' ? parsed : value;
	} catch {
		return value; // a masked header value
	}
}

const atDefault = (key: string, change: FieldChange) =>
	DEFAULTS[key] !== undefined && (change.before ?? DEFAULTS[key]) === (change.after ?? DEFAULTS[key]);

const MODEL_SETTING =
	/^provider\.models\.settings\.(.+)\.(displayName|contextWindow|maxOutputTokens|toolCalling|imageInput|reasoning|api|store|reasoningEfforts|reasoningSummary|forbidden|tokenizer|pinned\.[a-z_]+)$/;

/**
 * A revision's changes in people's words: the console's labels, each model's settings on one line,
 * header values under the header's name, and nothing for fields that only took the value the
 * console fills in itself. The API keeps the field paths; this is what the console prints.
 */
export function describeChanges(changes: readonly FieldChange[]): string[] {
	// Each overlay's changes read like the organization's, under the overlay's name.
	const byOverlay = new Map<string, FieldChange[]>();
	const own: FieldChange[] = [];
	for (const change of changes) {
		const overlay = OVERLAY_FIELD.exec(change.path);
		if (overlay) {
			const [, group, field, rest] = overlay as unknown as [string, string, string, string | undefined];
			byOverlay.set(group, [...(byOverlay.get(group) ?? []), { ...change, path: `${OVERLAY_TARGET[field]}${rest ?? ''}` }]);
		} else {
			own.push(change);
		}
	}
	const overlayLines = [...byOverlay].flatMap(([group, overlayChanges]) =>
		describeOwnChanges(overlayChanges).map((line) => `Overlay ${group} · ${line}`),
	);
	return [...describeOwnChanges(own), ...overlayLines];
}

function describeOwnChanges(changes: readonly FieldChange[]): string[] {
	const lines: string[] = [];
	const models = new Map<string, { label: string; change: FieldChange }[]>();
	for (const change of changes) {
		const model = MODEL_SETTING.exec(change.path);
		if (model) {
			const [, name, field] = model as unknown as [string, string, string];
			if (!atDefault(field, change)) {
				const entries = models.get(name) ?? [];
				entries.push({ label: MODEL_LABELS[field] ?? field.replace(/^pinned\./, ''), change });
				models.set(name, entries);
			} else if (!models.has(name)) {
				models.set(name, []);
			}
			continue;
		}
		if (atDefault(change.path, change)) {
			continue;
		}
		const header = /^provider\.headers\.(.+)$/.exec(change.path)?.[1];
		const label = header ? `Header ${header}` : (LABELS[change.path] ?? change.path);
		lines.push(
			change.before === undefined
				? `${label}: ${shown(change.after)}`
				: change.after === undefined
					? `${label}: removed (was ${shown(change.before)})`
					: `${label}: ${shown(change.before)} → ${shown(change.after)}`,
		);
	}
	// A model that left the list takes its settings with it: the Allowed models line says so already.
	const allowedChange = changes.find((change) => change.path === 'provider.models.allowed');
	const stillAllowed = allowedChange?.after !== undefined ? new Set(JSON.parse(allowedChange.after) as string[]) : undefined;
	for (const [name, entries] of models) {
		if (entries.length === 0) {
			continue;
		}
		const added = entries.every(({ change }) => change.before === undefined);
		const removed = entries.every(({ change }) => change.after === undefined);
		if (removed && stillAllowed && !stillAllowed.has(name)) {
			continue;
		}
		lines.push(
			removed
				? `Settings of ${name}: back to the defaults`
				: added
					? `Settings of ${name}: ${entries.map(({ label, change }) => `${label} ${shown(change.after)}`).join(', ')}`
					: `Settings of ${name}: ${entries.map(({ label, change }) => `${label} ${shown(change.before)} → ${shown(change.after)}`).join('; ')}`,
		);
	}
	return lines;
}
