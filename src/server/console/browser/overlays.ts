import { $, $$, send, showStatus } from './dom';

interface Answer {
	message?: string;
	fieldErrors?: { path: string; message: string }[];
	appliedOverlays?: string[];
	changes?: { path: string; before?: string; after?: string }[];
}

const list = (value: string) =>
	value
		.split(',')
		.map((model) => model.trim())
		.filter(Boolean);

/** The overlays in the page's order, as the admin API takes them. */
function collect(table: HTMLElement): unknown[] {
	return $$('.overlay-row', table).map((row) => {
		const defaultModel = $<HTMLInputElement>('.overlay-default', row).value.trim();
		return {
			group: row.dataset.group,
			models: { allowed: list($<HTMLInputElement>('.overlay-allowed', row).value), ...(defaultModel ? { default: defaultModel } : {}) },
		};
	});
}

/** The Groups page's overlay editor (add, order, remove, save with If-Match) and the member preview. */
export function wireOverlays(card: HTMLElement): void {
	const table = $('#overlays tbody', card);
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
			row.remove();
		} else if (button.classList.contains('overlay-up') && row.previousElementSibling) {
			row.previousElementSibling.before(row);
		} else if (button.classList.contains('overlay-down') && row.nextElementSibling) {
			row.nextElementSibling.after(row);
		}
		refresh();
	});
	$('#save-overlays', card).addEventListener('click', async () => {
		for (const slot of $$('.field-error', card)) {
			slot.textContent = '';
		}
		const { response, data } = await send<Answer>(
			'PUT',
			'/api/v1/admin/policy/overlays',
			{ overlays: collect(table) },
			{ 'if-match': `"${state.revision}"` },
		);
		if (response.ok) {
			window.location.assign('/console/groups?saved=overlays');
			return;
		}
		const rows = $$('.overlay-row', table);
		const lines = (data.fieldErrors ?? []).map((error) => {
			// overlays[1].models.default → the second row's Default model, named by its group.
			const index = Number(/^overlays\[(\d+)\]/.exec(error.path)?.[1] ?? -1);
			const row = rows[index];
			const slot = row?.querySelector(error.path.endsWith('.default') ? '.overlay-default' : '.overlay-allowed')?.nextElementSibling;
			if (slot) {
				slot.textContent = error.message;
			}
			return `${row?.dataset.group ?? error.path}: ${error.message}`;
		});
		showStatus(`Overlays not saved: ${lines.join('; ') || data.message || `failed (${response.status})`}`, 'error');
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
		const changes = (data.changes ?? []).map((change) => `${change.path}: ${change.before ?? '—'} → ${change.after ?? '—'}`);
		result.textContent = `${email}: ${applied} ${changes.length ? `Differs from the organization's policy in ${changes.join('; ')}.` : "The organization's policy as it is."}`;
	});
	if (new URLSearchParams(window.location.search).get('saved') === 'overlays') {
		showStatus('Overlays saved as a new revision: members receive what their groups make now.', 'success');
	}
}
