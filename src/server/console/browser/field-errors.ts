import { $, $$, inputValue, showStatus } from './dom';

/** One refusal of the admin API, by the path of the field it names. */
export interface FieldError {
	path: string;
	message: string;
}

export function clearErrors(root: ParentNode = document): void {
	for (const slot of $$('.field-error', root)) {
		slot.textContent = '';
	}
	for (const input of $$('[aria-invalid]', root)) {
		input.removeAttribute('aria-invalid');
		input.removeAttribute('aria-describedby');
	}
}

let slotIds = 0;

/** Marks a field wrong and names its error as its description, so a screen reader says why on reaching it. */
export function markInvalid(input: Element | null | undefined, slot: HTMLElement): void {
	if (!input || !['INPUT', 'SELECT', 'TEXTAREA'].includes(input.tagName)) {
		return;
	}
	slot.id ||= `field-error-${++slotIds}`;
	input.setAttribute('aria-invalid', 'true');
	input.setAttribute('aria-describedby', slot.id);
}

/** The error slot the page renders beside the field with this path. */
const slotFor = (path: string) => $$('.field-error').find((candidate) => candidate.dataset.errorFor === path);

/** The label of the field an error path belongs to, as the page shows it (e.g. "Deployment names"). */
function labelFor(path: string): string | undefined {
	const label = slotFor(path)?.closest('.field')?.querySelector('label');
	return label?.firstChild?.textContent?.trim() || undefined;
}

/** The service names fields by path; the admin knows them by their labels. */
function inLabels(message: string): string {
	return message.replace(/\bmodels\.allowed\b/g, labelFor('provider.models.allowed') ?? 'Allowed models');
}

/** Keyboard and screen-reader users land on the first field to fix, not at the Save button. */
export function focusFirstInvalid(root: ParentNode = document): void {
	$$('[aria-invalid="true"]', root)[0]?.focus();
}

/** Puts each error beside its field (a header's beside its row), and lists them all by label in the status line. */
export function showFieldErrors(errors: FieldError[], headersBox: HTMLElement): void {
	const lines: string[] = [];
	for (const error of errors) {
		const message = inLabels(error.message);
		let slot = slotFor(error.path);
		let label = labelFor(error.path);
		if (!slot && error.path.startsWith('provider.headers.')) {
			const name = error.path.slice('provider.headers.'.length);
			label = `Header ${name}`;
			const row = $$('.header-row', headersBox).find((candidate) => inputValue('.header-name', candidate).trim() === name);
			if (row) {
				slot = $('.field-error', row);
			}
		}
		if (!slot && error.path.startsWith('provider.models.allowed')) {
			slot = slotFor('provider.models.allowed');
			label = labelFor('provider.models.allowed');
		}
		if (slot) {
			slot.textContent = message;
			// In a header's row the slot follows the row's buttons: the field at fault is its value.
			const row = slot.closest('.header-row');
			markInvalid(row ? $('.header-value', row) : slot.previousElementSibling, slot);
		}
		lines.push(`${label ?? error.path}: ${message}`);
	}
	focusFirstInvalid();
	const count = errors.length;
	showStatus(`Not saved: ${count} field${count === 1 ? '' : 's'} need${count === 1 ? 's' : ''} fixing. ${lines.join('; ')}`, 'error');
}
