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

/**
 * Set while the service says this page's console session has ended (a 401): every error shown then
 * offers a sign-in in a new tab, so what the admin entered on this page is not lost to a reload.
 */
let sessionEnded = false;

export function showStatus(message: string, kind?: 'error' | 'success'): void {
	const status = document.querySelector('#status');
	if (status) {
		status.textContent = message;
		status.className = `status ${kind ?? ''}`;
		if (kind === 'error' && sessionEnded) {
			const signIn = document.createElement('a');
			signIn.href = '/console/login';
			signIn.target = '_blank';
			signIn.rel = 'noopener';
			signIn.id = 'sign-in-again';
			signIn.textContent = 'Sign in again (opens a new tab)';
			status.append(' ', signIn);
		}
		// The banner may sit above the button pressed: bring it into view, or the admin never sees it.
		status.scrollIntoView({ block: 'nearest' });
	}
}

let csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

const KEPT = 'What you entered is still on this page';

/**
 * A JSON request with the console session's CSRF token; the answer's body parsed. Never throws for
 * the service's trouble: an unreachable service, a proxy's error page or an ended session come back
 * as a failed response whose `message` says what happened and that nothing on the page was lost.
 * Refused for a CSRF token of an earlier session (the admin signed in again in another tab), it
 * takes the current session's token and sends once more.
 */
export async function send<T>(
	method: string,
	url: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<{ response: Response; data: T }> {
	let answer = await attempt(method, url, body, headers);
	if (answer.response.status === 403 && answer.data.error === 'csrf' && (await renewCsrf())) {
		answer = await attempt(method, url, body, headers);
	}
	sessionEnded = answer.response.status === 401;
	return answer as { response: Response; data: T };
}

type Answer = { response: Response; data: { error?: unknown; message?: string } };

async function attempt(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
	let response: Response;
	try {
		response = await fetch(url, {
			method,
			headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-csrf-token': csrf, ...headers },
			body: body === undefined ? null : JSON.stringify(body),
			credentials: 'same-origin',
		});
	} catch {
		return { response: Response.error(), data: { message: `Could not reach the policy service. ${KEPT}: try again when it is back.` } };
	}
	const text = await response.text();
	let data: Answer['data'];
	try {
		data = text ? (JSON.parse(text) as Answer['data']) : {};
	} catch {
		// Not the service speaking: a proxy's error page while it restarts, say.
		const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
		return { response, data: { message: `The policy service did not answer (${status}). ${KEPT}: try again in a moment.` } };
	}
	if (response.status === 401) {
		data = { ...data, message: `Your console session has ended. ${KEPT}: sign in again in a new tab, then come back and try again.` };
	}
	return { response, data };
}

/** The current console session's CSRF token, after the admin signed in again elsewhere; false without a session. */
async function renewCsrf(): Promise<boolean> {
	try {
		const response = await fetch('/console/session', { credentials: 'same-origin' });
		const session = response.ok ? ((await response.json()) as { csrfToken?: string }) : {};
		if (session.csrfToken && session.csrfToken !== csrf) {
			csrf = session.csrfToken;
			return true;
		}
	} catch {
		// Unreachable now: the refusal stands, and says to reload.
	}
	return false;
}

/**
 * Forms the server answers itself (single sign-on settings, the SCIM token, Test sign-in, the
 * Devices page's downloads) are sent only while the console session lasts: with it ended the
 * service answers the sign-in page, and what was typed (a pasted client secret among it) is gone. So the session is asked first; without one the admin is
 * offered a sign-in in a new tab and the form stays as it is, to be sent again after.
 */
export function keepFormsThroughSessionEnd(root: ParentNode = document): void {
	for (const form of $$<HTMLFormElement>('form[data-keep-through-session-end]', root)) {
		form.addEventListener('submit', async (event) => {
			if (form.dataset.sessionChecked === 'yes') {
				return;
			}
			event.preventDefault();
			const { response, data } = await send<{ message?: string }>('GET', '/console/session');
			if (!response.ok) {
				showStatus(data.message ?? `Not sent (${response.status}).`, 'error');
				return;
			}
			// Checked for this submission only: a download leaves the page open, and the next one asks again.
			form.dataset.sessionChecked = 'yes';
			form.requestSubmit(event.submitter);
			delete form.dataset.sessionChecked;
		});
	}
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

/** Forms that undo something (`data-confirm="question"`) ask first, before any other submit handler; without the script they post as they are. */
export function confirmForms(root: ParentNode = document): void {
	for (const form of $$<HTMLFormElement>('form[data-confirm]', root)) {
		form.addEventListener('submit', (event) => {
			// Asked once: the session check's own re-submission (see keepFormsThroughSessionEnd) is the same post.
			if (form.dataset.sessionChecked !== 'yes' && !window.confirm(form.dataset.confirm ?? 'Are you sure?')) {
				event.preventDefault();
				event.stopImmediatePropagation();
			}
		});
	}
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled])';

/** Focuses the first of `candidates` that is, or holds, a control that can take focus. */
export function focusFirst(...candidates: (Element | null | undefined)[]): void {
	for (const candidate of candidates) {
		const target = candidate?.matches(FOCUSABLE) ? candidate : candidate?.querySelector(FOCUSABLE);
		if (target instanceof HTMLElement) {
			target.focus();
			return;
		}
	}
}

/**
 * Removes a part of the page (a row, a list item). When it held keyboard focus (its own button was
 * pressed), focus goes to the item after it, else the one before, else the first of `otherwise`
 * (the list's own control): without this it falls to the page's top and a keyboard user starts over.
 */
export function removeKeepingFocus(element: Element, ...otherwise: (Element | null | undefined)[]): void {
	const held = element.contains(document.activeElement);
	const [next, previous] = [element.nextElementSibling, element.previousElementSibling];
	element.remove();
	if (held) {
		focusFirst(next, previous, ...otherwise);
	}
}
