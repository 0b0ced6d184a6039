import { $, $$, inputValue } from './dom';

const DEFAULTS = { toolCalling: true, imageInput: false, reasoning: false } as const;

/**
 * Rows of models taken off the list while editing, kept until the page is left: a model typed out
 * and back (a typo fixed, a list reordered) gets its settings back instead of the defaults.
 */
const parked = new Map<string, HTMLElement>();

/** The model-settings table follows the allowed-models list: a row per model, kept while it stays listed. */
export function syncModelRows(models: readonly string[]): void {
	const body = $('#model-settings tbody');
	const template = $<HTMLTemplateElement>('#model-row-template');
	const rows = new Map($$('.model-row', body).map((row) => [row.dataset.model ?? '', row]));
	for (const [model, row] of rows) {
		if (!models.includes(model)) {
			parked.set(model, row);
			row.remove();
		}
	}
	for (const model of models) {
		let row = rows.get(model) ?? parked.get(model);
		parked.delete(model);
		if (!row) {
			row = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
			row.dataset.model = model;
			$('.model-name', row).textContent = model;
			$<HTMLInputElement>('.model-displayName', row).placeholder = model;
			for (const slot of $$('.field-error', row)) {
				slot.dataset.errorFor = (slot.dataset.errorFor ?? '').replace('provider.models.settings..', `provider.models.settings.${model}.`);
			}
			for (const input of $$('input, select', row)) {
				input.setAttribute('aria-label', (input.getAttribute('aria-label') ?? '').replace(/ of $/, ` of ${model}`));
			}
		}
		body.append(row);
	}
}

/** The per-model settings the admin changed from the defaults; a model left at the defaults has no entry. */
export function collectModelSettings(): Record<string, Record<string, unknown>> {
	const settings: Record<string, Record<string, unknown>> = {};
	for (const row of $$('.model-row')) {
		const model = row.dataset.model ?? '';
		// What the table has no control for (set through the API or a policy file) is kept as saved.
		const { pinned: keptPinned, ...kept } = JSON.parse(row.dataset.kept ?? '{}') as Record<string, unknown>;
		const entry: Record<string, unknown> = { ...kept };
		const displayName = inputValue('.model-displayName', row).trim();
		if (displayName) {
			entry.displayName = displayName;
		}
		for (const field of ['contextWindow', 'maxOutputTokens'] as const) {
			const value = inputValue(`.model-${field}`, row).trim();
			if (value) {
				// Sent as typed, so a value that is not a whole number is named by the service, not dropped here.
				entry[field] = Number.isNaN(Number(value)) ? value : Number(value);
			}
		}
		for (const field of ['toolCalling', 'imageInput', 'reasoning'] as const) {
			const checked = $<HTMLInputElement>(`.model-${field}`, row).checked;
			if (checked !== DEFAULTS[field]) {
				entry[field] = checked;
			}
		}
		const effort = $<HTMLSelectElement>('.model-reasoningEffort', row).value;
		const pinned = { ...(keptPinned as Record<string, unknown> | undefined), ...(effort ? { reasoning_effort: effort } : {}) };
		if (Object.keys(pinned).length > 0) {
			entry.pinned = pinned;
		}
		const summary = $<HTMLSelectElement>('.model-reasoningSummary', row);
		if (!summary.disabled && summary.value) {
			entry.reasoningSummary = summary.value;
		}
		const api = $<HTMLSelectElement>('.model-api', row).value;
		if (api && api !== 'chat-completions') {
			entry.api = api;
		}
		if (model && Object.keys(entry).length > 0) {
			settings[model] = entry;
		}
	}
	return settings;
}

/** Only a reasoning model called through the Responses API gives a summary: elsewhere the choice is off. */
export function reflectSummaryChoices(): void {
	for (const row of $$('.model-row')) {
		const viaResponses = $<HTMLSelectElement>('.model-api', row).value === 'responses';
		$<HTMLSelectElement>('.model-reasoningSummary', row).disabled = !(viaResponses && $<HTMLInputElement>('.model-reasoning', row).checked);
	}
}
