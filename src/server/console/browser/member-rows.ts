import { $, focusFirst, localTime, removeKeepingFocus, send, showLocalTimes, showStatus } from './dom';

/** Organization tokens already issued are not recalled: the gateway accepts them until they expire. */
const tokenStillWorks = (tokenUntil: string) =>
	tokenUntil ? ` The organization token issued to them still works until ${new Date(tokenUntil).toLocaleTimeString()}.` : '';

interface ResetAnswer {
	email?: string;
	link?: string;
	expiresAt?: string;
	emailed?: boolean;
	emailError?: string;
	message?: string;
}

/** Makes a one-time link for a member who lost their password, and shows it (or says it was e-mailed). */
async function resetPassword(button: HTMLButtonElement): Promise<void> {
	const { id = '', email = '' } = button.dataset;
	const question = `Make a link with which ${email} sets a new password? It works once, for a day; an earlier link stops working. Using it ends every sign-in of theirs.`;
	if (!window.confirm(question)) {
		return;
	}
	const { response, data } = await send<ResetAnswer>('POST', `/api/v1/admin/members/${encodeURIComponent(id)}/password-reset`);
	if (!response.ok || !data.link || !data.expiresAt) {
		showStatus(data.message ?? `No link was made (${response.status}).`, 'error');
		return;
	}
	const until = localTime(data.expiresAt);
	$('#reset-note').textContent = data.emailed
		? `An e-mail with this one-time link was sent to ${email}. It works once, until ${until}.`
		: data.emailError
			? `The e-mail to ${email} could not be sent (${data.emailError}). Send this one-time link yourself; it works once, until ${until}.`
			: `Nothing was e-mailed. Send this one-time link to ${email} yourself, the way you would share a password; it works once, until ${until}.`;
	$<HTMLInputElement>('#reset-link').value = data.link;
	$<HTMLInputElement>('#reset-link').dataset.email = email;
	$('#reset-result').hidden = false;
	// The member's row says a link is out, as the page does after a reload (the new one replaced any earlier).
	const cell = button.closest('tr')?.querySelector('td');
	if (cell) {
		cell.querySelector('.password-reset-until')?.remove();
		const note = ($<HTMLTemplateElement>('#reset-note-template').content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
		$<HTMLTimeElement>('time', note).dateTime = data.expiresAt;
		const withdraw = $<HTMLButtonElement>('.withdraw-reset', note);
		Object.assign(withdraw.dataset, { id, email });
		withdraw.setAttribute('aria-label', `Withdraw the password reset link of ${email}`);
		cell.append(note);
		showLocalTimes(note);
	}
	showStatus(`Made a password reset link for ${email}.`, 'success');
}

/** Voids a member's unused reset link (sent to the wrong inbox, say), after asking. */
async function withdrawReset(button: HTMLButtonElement): Promise<void> {
	const { id = '', email = '' } = button.dataset;
	if (!window.confirm(`Withdraw the password reset link of ${email}? It opens nothing from now on; their password stays as it is.`)) {
		return;
	}
	const { response, data } = await send<{ message?: string }>('DELETE', `/api/v1/admin/members/${encodeURIComponent(id)}/password-reset`);
	if (!response.ok) {
		showStatus(data.message ?? `Withdraw failed (${response.status}).`, 'error');
		return;
	}
	// Focus goes to the member's Reset password (a new link is the likely next step), not the e-mail beside the note.
	const note = button.closest('.password-reset-until');
	const held = note?.contains(document.activeElement);
	const reset = note?.closest('tr')?.querySelector('.reset-password');
	note?.remove();
	if (held) {
		focusFirst(reset);
	}
	// The link shown above to copy is this one's, if it was just made: it is no use now.
	if ($<HTMLInputElement>('#reset-link').dataset.email === email) {
		$('#reset-result').hidden = true;
	}
	showStatus(`Withdrew the password reset link of ${email}: it opens nothing now.`, 'success');
}

/** The sync state a member's row shows (its badge), as the filter's choices name it. */
const syncOf = (row: Element | null | undefined) => row?.querySelector('.badge')?.textContent?.trim() ?? '';

/**
 * Keeps the sync filter's counts ("in sync (250)") true after a row changed state or went, as a
 * reload would count them: one member moves from one state to another, or leaves the list.
 */
function recountSync(from: string, to: string | undefined): void {
	if (!from || from === to) {
		return;
	}
	for (const option of document.querySelectorAll<HTMLOptionElement>('#member-search select[name="sync"] option')) {
		const step = (option.value === from ? -1 : 0) + (option.value === to ? 1 : 0) + (option.value === '' && to === undefined ? -1 : 0);
		const counted = /^(.*) \(([\d,]+)\)$/.exec(option.textContent ?? '');
		if (step !== 0 && counted) {
			const value = Math.max(0, Number(counted[2]?.replace(/,/g, '')) + step);
			option.textContent = `${counted[1]} (${value.toLocaleString('en-US')})`;
		}
	}
}

/**
 * Draws a member's row again as the service now renders it, after something that changes how their
 * machines count (their sync state, applied revision and machines are the service's to judge).
 * Fetched by their e-mail, so the row comes back whatever this page's search; the new row, or
 * undefined when it could not.
 */
async function redrawRow(row: HTMLTableRowElement, email: string): Promise<HTMLTableRowElement | undefined> {
	try {
		const response = await fetch(`/console/members?${new URLSearchParams({ q: email }).toString()}`, { credentials: 'same-origin' });
		if (!response.ok) {
			return undefined;
		}
		const page = new DOMParser().parseFromString(await response.text(), 'text/html');
		const fresh = page.querySelector<HTMLTableRowElement>(`#members tr[data-member-id="${CSS.escape(row.dataset.memberId ?? '')}"]`);
		if (!fresh) {
			return undefined;
		}
		const adopted = document.importNode(fresh, true);
		const held = row.contains(document.activeElement);
		const before = syncOf(row);
		row.replaceWith(adopted);
		recountSync(before, syncOf(adopted));
		showLocalTimes(adopted);
		if (held) {
			// The pressed button went with the old row: the keyboard goes on from the member's row.
			focusFirst(adopted);
		}
		return adopted;
	} catch {
		return undefined;
	}
}

/** Signs one machine of a member out (a lost laptop, a machine put away), after asking; their other machines go on. */
async function signOutMachine(button: HTMLButtonElement): Promise<void> {
	const { id = '', signInId = '', email = '', machine = '' } = button.dataset;
	const question = `Sign out the VS Code of ${email} running ${machine}? That machine's sign-in ends now and no longer counts for their sync state; their other machines stay signed in.`;
	if (!window.confirm(question)) {
		return;
	}
	const path = `/api/v1/admin/members/${encodeURIComponent(id)}/sign-ins/${encodeURIComponent(signInId)}/sign-out`;
	const { response, data } = await send<{ message?: string }>('POST', path);
	if (!response.ok) {
		showStatus(data.message ?? `Sign-out failed (${response.status}).`, 'error');
		return;
	}
	const done = `Signed out the VS Code of ${email} running ${machine}.`;
	const row = button.closest('tr');
	const redrawn = row ? await redrawRow(row, email) : undefined;
	if (redrawn) {
		showStatus(`${done} Their sync state without it: ${syncOf(redrawn)}.`, 'success');
		return;
	}
	// The page could not be read again: the machine's line goes, and the admin is told to reload.
	const note = button.closest('.sign-ins-note');
	const item = button.closest('li');
	if (item) {
		removeKeepingFocus(item, row);
	}
	const left = note?.querySelectorAll('li').length ?? 0;
	const count = note?.querySelector('.sign-in-count');
	if (count) {
		count.textContent = `${left} machine${left === 1 ? '' : 's'}`;
	}
	showStatus(`${done} Reload to see their sync state without it.`, 'success');
}

/** Signs a member out everywhere after asking; they stay a member, and their row shows them signed out. */
async function signOutMember(button: HTMLButtonElement): Promise<void> {
	const { id = '', email = '', tokenUntil = '' } = button.dataset;
	const question = `Sign ${email} out everywhere? Every VS Code and console sign-in of theirs ends now; they stay a member and sign in again.`;
	if (!window.confirm(question + tokenStillWorks(tokenUntil))) {
		return;
	}
	const { response, data } = await send<{ message?: string }>('POST', `/api/v1/admin/members/${encodeURIComponent(id)}/sign-out`);
	if (!response.ok) {
		showStatus(data.message ?? `Sign-out failed (${response.status}).`, 'error');
		return;
	}
	const row = button.closest('tr');
	if (row) {
		await redrawRow(row, email);
	}
	showStatus(`Signed ${email} out everywhere: they sign in again to go on.`, 'success');
}

/** Removes a member after asking; their VS Code is signed out at once. */
async function removeMember(button: HTMLButtonElement): Promise<void> {
	const { id = '', email = '', tokenUntil = '' } = button.dataset;
	if (!window.confirm(`Remove ${email}? Their VS Code is signed out at once.${tokenStillWorks(tokenUntil)}`)) {
		return;
	}
	const { response, data } = await send<{ message?: string }>('DELETE', `/api/v1/admin/members/${encodeURIComponent(id)}`);
	if (response.ok) {
		const row = button.closest('tr');
		if (row) {
			recountSync(syncOf(row), undefined);
			removeKeepingFocus(row, $('#member-search'));
		}
		showStatus(`Removed ${email}.`, 'success');
	} else {
		showStatus(data.message ?? `Remove failed (${response.status}).`, 'error');
	}
}

/** Changes a member's role in place, after asking; the choice goes back if they decline or the service refuses. */
async function changeRole(select: HTMLSelectElement): Promise<void> {
	const { id = '', email = '', role: before = '' } = select.dataset;
	const role = select.value;
	const question =
		role === 'admin'
			? `Make ${email} an admin? They can change the policy, members and tokens from their next request.`
			: `Make ${email} a member? They lose the console and the admin API at once; API tokens they made stop working.`;
	if (!window.confirm(question)) {
		select.value = before;
		return;
	}
	const { response, data } = await send<{ message?: string }>('PATCH', `/api/v1/admin/members/${encodeURIComponent(id)}`, { role });
	if (response.ok) {
		select.dataset.role = role;
		showStatus(`${email} is now ${role === 'admin' ? 'an admin' : 'a member'}.`, 'success');
	} else {
		select.value = before;
		showStatus(data.message ?? `Role not changed (${response.status}).`, 'error');
	}
}

const BUTTON_ACTIONS: ReadonlyArray<readonly [string, (button: HTMLButtonElement) => Promise<void>]> = [
	['.reset-password', resetPassword],
	['.withdraw-reset', withdrawReset],
	['.sign-out-member', signOutMember],
	['.sign-out-machine', signOutMachine],
	['.remove-member', removeMember],
];

/**
 * What an admin does to a member from their row. Listened for on the table, not on each control, so
 * a row the service drew again (and a reset link's note added later) works the same.
 */
export function wireMemberRows(table: HTMLElement): void {
	table.addEventListener('click', (event) => {
		for (const [selector, action] of BUTTON_ACTIONS) {
			const button = (event.target as HTMLElement).closest<HTMLButtonElement>(selector);
			if (button && table.contains(button)) {
				void action(button);
				return;
			}
		}
	});
	table.addEventListener('change', (event) => {
		const select = (event.target as HTMLElement).closest<HTMLSelectElement>('.member-role');
		if (select) {
			void changeRole(select);
		}
	});
}
