import { $, $$, removeKeepingFocus, send, showStatus } from './dom';
import { clearErrors, focusFirstInvalid, markInvalid } from './field-errors';

interface Answer {
	message?: string;
	fieldErrors?: { path: string; message: string }[];
	appliedOverlays?: string[];
	summary?: string[];
}

const MASK = '••••••';

const list = (value: string) =>
	value
		.split(',')
		.map((model) => model.trim())
		.filter(Boolean);

const field = (row: HTMLElement, selector: string) => $<HTMLInputElement>(selector, row).value.trim();

/** "Name: value" lines; a value left masked is sent empty, and the service keeps its saved value. */
function headersOf(text: string): Record<string, string> | undefined {
	const headers: Record<string, string> = {};
	for (const line of text.split('\n')) {
		const colon = line.indexOf(':');
		if (line.trim() === '') {
			continue;
		}
		const name = (colon < 0 ? line : line.slice(0, colon)).trim();
		const value = colon < 0 ? '' : line.slice(colon + 1).trim();
		headers[name] = value === MASK ? '' : value;
	}
	return Object.keys(headers).length ? headers : undefined;
}

/** One overlay as the admin API takes it: only what the admin filled in changes anything. */
function overlayOf(row: HTMLElement): Record<string, unknown> {
	const allowed = list(field(row, '.overlay-allowed'));
	const defaultModel = field(row, '.overlay-default');
	// Per-model settings are edited in the policy file or the API: kept for the models still allowed.
	const saved = JSON.parse(row.dataset.modelSettings ?? '{}') as Record<string, unknown>;
	const settings = Object.fromEntries(Object.entries(saved).filter(([model]) => allowed.includes(model)));
	const headers = headersOf($<HTMLTextAreaElement>('.overlay-headers', row).value);
	const tokens = field(row, '.overlay-budget-tokens').replace(/[\s,_]/g, '');
	const baseUrl = $<HTMLInputElement>('.overlay-base-url', row).disabled ? '' : field(row, '.overlay-base-url');
	return {
		group: row.dataset.group,
		...(allowed.length || defaultModel
			? { models: { allowed, ...(defaultModel ? { default: defaultModel } : {}), ...(Object.keys(settings).length ? { settings } : {}) } }
			: {}),
		...(headers ? { headers } : {}),
		...(tokens
			? { budget: { monthlyTokens: Number(tokens), enforcement: $<HTMLSelectElement>('.overlay-budget-enforcement', row).value } }
			: {}),
		...(baseUrl ? { baseUrl } : {}),
	};
}

/** The overlays in the page's order, as the admin API takes them. */
function collect(container: HTMLElement): unknown[] {
	return $$('.overlay-row', container).map(overlayOf);
}

/** `overlays[1].models.default` → the second row's slot for the default model (`''`: the row's own). */
function slotOf(path: string): { index: number; field: string } {
	const match = /^overlays\[(\d+)\](?:\.([A-Za-z]+)(?:\.([A-Za-z]+))?)?/.exec(path);
	if (!match) {
		return { index: -1, field: 'overlays' };
	}
	const [, index, first, second] = match;
	const field = first === 'models' ? (second === 'default' ? 'default' : 'allowed') : (first ?? '');
	return { index: Number(index), field: ['allowed', 'default', 'headers', 'budget', 'baseUrl'].includes(field) ? field : '' };
}

/** The Groups page's overlay editor (add, order, remove, save with If-Match) and the member preview. */
export function wireOverlays(card: HTMLElement): void {
	const table = $('#overlays', card);
	const template = $<HTMLTemplateElement>('#overlay-row-template', card);
	const state = JSON.parse($('#overlays-state', card).textContent ?? '{}') as { revision: number };
	const refresh = () => {
		$('#no-overlays', card).hidden = $$('.overlay-row', table).length > 0;
	};
	$('#add-overlay', card).addEventListener('click', () => {
		const group = $<HTMLSelectElement>('#overlay-group', card).value;
		if (!group || $$('.overlay-row', table).some((row) => row.dataset.group?.toLowerCase() === group.toLowerCase())) {
			showStatus(group ? `${group} has an overlay already.` : 'Make a group first.', 'error');
			return;
		}
		const row = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
		row.dataset.group = group;
		$('.overlay-group', row).textContent = group;
		for (const button of $$('button', row)) {
			button.setAttribute('aria-label', (button.getAttribute('aria-label') ?? '').replace('the group', group));
		}
		table.append(row);
		$('.overlay-allowed', row).focus();
		refresh();
	});
	table.addEventListener('click', (event) => {
		const row = (event.target as Element).closest<HTMLElement>('.overlay-row');
		const button = (event.target as Element).closest('button');
		if (!row || !button) {
			return;
		}
		if (button.classList.contains('overlay-remove')) {
			removeKeepingFocus(row, $('#overlay-group', card));
		} else if (button.classList.contains('overlay-up') && row.previousElementSibling) {
			row.previousElementSibling.before(row);
		} else if (button.classList.contains('overlay-down') && row.nextElementSibling) {
			row.nextElementSibling.after(row);
		}
		refresh();
	});
	$('#save-overlays', card).addEventListener('click', async () => {
		clearErrors(card);
		const { response, data } = await send<Answer>(
			'PUT',
			'/api/v1/admin/policy/overlays',
			{ overlays: collect(table), overlaysMayChangeEndpoint: $<HTMLInputElement>('#overlays-endpoint', card).checked },
			{ 'if-match': `"${state.revision}"` },
		);
		if (response.ok) {
			window.location.assign('/console/groups?saved=overlays');
			return;
		}
		const rows = $$('.overlay-row', table);
		const lines = (data.fieldErrors ?? []).map((error) => {
			const { index, field } = slotOf(error.path);
			const row = rows[index];
			const slot = (row ?? card).querySelector(`.field-error[data-overlay-field="${index < 0 ? 'overlays' : field}"]`);
			if (slot instanceof HTMLElement) {
				slot.textContent = error.message;
				markInvalid(slot.previousElementSibling, slot);
			}
			return `${row?.dataset.group ?? error.path}: ${error.message}`;
		});
		focusFirstInvalid(card);
		showStatus(`Overlays not saved: ${lines.join('; ') || data.message || `failed (${response.status})`}`, 'error');
	});
	// Whether overlays may change the endpoint decides whether their Base URL can be filled in.
	$<HTMLInputElement>('#overlays-endpoint', card).addEventListener('change', (event) => {
		const allowed = (event.target as HTMLInputElement).checked;
		for (const input of [...$$<HTMLInputElement>('.overlay-base-url', card), $<HTMLInputElement>('.overlay-base-url', template.content)]) {
			input.disabled = !allowed;
			input.title = allowed ? '' : 'Turn on “Overlays may change the endpoint” first';
		}
	});
	$<HTMLFormElement>('#preview-member', card).addEventListener('submit', async (event) => {
		event.preventDefault();
		const email = $<HTMLInputElement>('#preview-email', card).value.trim();
		const { response, data } = await send<Answer>('GET', `/api/v1/admin/policy/effective?member=${encodeURIComponent(email)}`);
		const result = $('#preview-result', card);
		result.hidden = false;
		if (!response.ok) {
			result.textContent = data.message ?? `Preview failed (${response.status}).`;
			return;
		}
		const applied = data.appliedOverlays?.length
			? `Overlays applied, in order: ${data.appliedOverlays.join(', ')}.`
			: 'No overlay applies.';
		const changes = data.summary ?? [];
		result.textContent = `${email}: ${applied} ${changes.length ? `Differs from the organization's policy in ${changes.join('; ')}.` : "The organization's policy as it is."}`;
	});
	if (new URLSearchParams(window.location.search).get('saved') === 'overlays') {
		showStatus('Overlays saved as a new revision: members receive what their groups make now.', 'success');
	}
}
