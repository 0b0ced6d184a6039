/** Small DOM helpers for the console's pages; every element the script needs is rendered by the server. */

export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
	const element = root.querySelector<T>(selector);
	if (!element) {
		throw new Error(`the page has no ${selector}`);
	}
	return element;
}

export function $$<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T[] {
	return [...root.querySelectorAll<T>(selector)];
}

export const inputValue = (selector: string, root?: ParentNode) => $<HTMLInputElement>(selector, root).value;
export const isChecked = (selector: string) => $<HTMLInputElement>(selector).checked;

export function showStatus(message: string, kind?: 'error' | 'success'): void {
	const status = document.querySelector('#status');
	if (status) {
		status.textContent = message;
		status.className = `status ${kind ?? ''}`;
		// The banner may sit above the button pressed: bring it into view, or the admin never sees it.
		status.scrollIntoView({ block: 'nearest' });
	}
}

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** A JSON request with the console session's CSRF token; the answer's body parsed (or `{}`). */
export async function send<T>(
	method: string,
	url: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<{ response: Response; data: T }> {
	const response = await fetch(url, {
		method,
		headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-csrf-token': csrf, ...headers },
		body: body === undefined ? null : JSON.stringify(body),
		credentials: 'same-origin',
	});
	const text = await response.text();
	return { response, data: (text ? JSON.parse(text) : {}) as T };
}

/** A timestamp in the admin's own time zone and locale (the server writes ISO 8601 in UTC). */
export function localTime(iso: string): string {
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Rewrites every `<time datetime>` under `root` in local time, keeping the exact UTC value as its tooltip. */
export function showLocalTimes(root: ParentNode = document): void {
	for (const time of $$<HTMLTimeElement>('time[datetime]', root)) {
		if (time.dateTime) {
			time.textContent = localTime(time.dateTime);
			time.title = time.dateTime;
		}
	}
}

/** Copy buttons (`data-copy-from="#field"`): the field's value to the clipboard, else selected for Ctrl+C. */
export function wireCopyButtons(root: ParentNode = document): void {
	for (const button of $$<HTMLButtonElement>('[data-copy-from]', root)) {
		button.addEventListener('click', async () => {
			const field = $<HTMLInputElement>(button.dataset.copyFrom ?? '');
			try {
				await navigator.clipboard.writeText(field.value);
				showStatus('Copied.', 'success');
			} catch {
				field.select();
				showStatus('Selected: press Ctrl+C (⌘C) to copy it.');
			}
		});
	}
}
