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
		// What the table has no control for (set through the API or a policy file) is kept as saved, unless removed.
		const { pinned: keptPinned, ...kept } = keptSettings(row);
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

/**
 * The row's settings from beyond the table, less those the admin removed on this page. A kept
 * setting is named as the service names it: a field (`store`) or a pinned parameter (`pinned.seed`).
 */
function keptSettings(row: HTMLElement): Record<string, unknown> {
	const kept = JSON.parse(row.dataset.kept ?? '{}') as Record<string, unknown>;
	for (const item of $$('.kept-setting[data-removed="true"]', row)) {
		const [field = '', parameter] = (item.dataset.field ?? '').split('.');
		if (parameter === undefined) {
			delete kept[field];
			continue;
		}
		const { [parameter]: _removed, ...pinned } = kept[field] as Record<string, unknown>;
		if (Object.keys(pinned).length > 0) {
			kept[field] = pinned;
		} else {
			delete kept[field];
		}
	}
	return kept;
}

/**
 * *Remove* beside a kept setting strikes it out and leaves it out of the next save; the same
 * button (now *Keep*) takes that back before saving, as a header row's removal cannot be.
 */
export function wireKeptSettings(table: HTMLElement, changed: () => void): void {
	table.addEventListener('click', (event) => {
		const button = (event.target as Element).closest<HTMLButtonElement>('.remove-kept');
		const item = button?.closest<HTMLElement>('.kept-setting');
		if (!button || !item) {
			return;
		}
		const removed = item.dataset.removed !== 'true';
		item.dataset.removed = String(removed);
		const label = button.getAttribute('aria-label') ?? '';
		button.setAttribute('aria-label', label.replace(/^(Remove|Keep) /, removed ? 'Keep ' : 'Remove '));
		button.textContent = removed ? 'Keep' : 'Remove';
		changed();
	});
}

/** Once saved, what was removed is gone from the policy: its lines leave the rows. */
export function settleKeptSettings(): void {
	for (const row of $$('.model-row')) {
		row.dataset.kept = JSON.stringify(keptSettings(row));
		for (const item of $$('.kept-setting[data-removed="true"]', row)) {
			item.remove();
		}
		const list = row.querySelector('.model-kept');
		if (list && !list.querySelector('.kept-setting')) {
			list.remove();
		}
	}
}
