import { $, $$, inputValue, localTime, send, showLocalTimes, showStatus } from './dom';

interface InvitationAnswer {
	invitation?: { email: string; role: string; expiresAt: string; link: string; emailed: boolean; emailError?: string };
	message?: string;
}

/** Organization tokens already issued are not recalled: the gateway accepts them until they expire. */
const tokenStillWorks = (tokenUntil: string) =>
	tokenUntil ? ` The organization token issued to them still works until ${new Date(tokenUntil).toLocaleTimeString()}.` : '';

/** Adds the new invitation to the pending list, from the server's own item template. */
function listInvitation(invitation: NonNullable<InvitationAnswer['invitation']>): void {
	const item = ($<HTMLTemplateElement>('#invitation-template').content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
	$('.invitation-email', item).textContent = invitation.email;
	$('.invitation-role', item).textContent = invitation.role;
	$<HTMLTimeElement>('.invitation-expires', item).dateTime = invitation.expiresAt;
	// The service replaced any earlier invitation for the address: its old item goes.
	for (const listed of $$<HTMLElement>('#invitations li')) {
		if ($('.invitation-email', listed).textContent === invitation.email) {
			listed.remove();
		}
	}
	const withdraw = $<HTMLButtonElement>('.withdraw-invitation', item);
	withdraw.dataset.email = invitation.email;
	withdraw.setAttribute('aria-label', `Withdraw the invitation to ${invitation.email}`);
	$('#invitations').append(item);
	$('#no-invitations').hidden = true;
	showLocalTimes(item);
}

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
	button.closest('.password-reset-until')?.remove();
	// The link shown above to copy is this one's, if it was just made: it is no use now.
	if ($<HTMLInputElement>('#reset-link').dataset.email === email) {
		$('#reset-result').hidden = true;
	}
	showStatus(`Withdrew the password reset link of ${email}: it opens nothing now.`, 'success');
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
	const note = button.closest('.sign-ins-note');
	button.closest('li')?.remove();
	// The list says how many machines are left; the row's sync state is the service's to judge again.
	const left = note?.querySelectorAll('li').length ?? 0;
	const count = note?.querySelector('.sign-in-count');
	if (count) {
		count.textContent = `${left} machine${left === 1 ? '' : 's'}`;
	}
	showStatus(`Signed out the VS Code of ${email} running ${machine}. Reload to see their sync state without it.`, 'success');
}

/** The members page: invite by email, reset a lost password, sign a member out everywhere, remove a member (their VS Code is signed out at once). */
export function wireMembers(addMember: HTMLFormElement): void {
	addMember.addEventListener('submit', async (event) => {
		event.preventDefault();
		const { response, data } = await send<InvitationAnswer>('POST', '/api/v1/admin/members', {
			email: inputValue('#member-email'),
			role: inputValue('#member-role'),
		});
		if (response.ok && data.invitation) {
			const { invitation } = data;
			// Say plainly whether the link went out, so the admin knows whether to pass it on.
			const until = localTime(invitation.expiresAt);
			$('#invite-note').textContent = invitation.emailed
				? `An e-mail with this one-time link was sent to ${invitation.email}. It works once, until ${until}.`
				: invitation.emailError
					? `The e-mail to ${invitation.email} could not be sent (${invitation.emailError}). Send this one-time link yourself; it works once, until ${until}.`
					: `Nothing was e-mailed. Send this one-time link to ${invitation.email} yourself; it works once, until ${until}.`;
			$<HTMLInputElement>('#invite-link').value = invitation.link;
			$('#invite-result').hidden = false;
			listInvitation(invitation);
			addMember.reset();
			showStatus(`Invited ${invitation.email}.`, 'success');
		} else {
			showStatus(data.message ?? `Invite failed (${response.status}).`, 'error');
		}
	});
	for (const select of $$<HTMLSelectElement>('.member-role')) {
		select.addEventListener('change', async () => {
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
		});
	}
	for (const button of $$<HTMLButtonElement>('.reset-password')) {
		button.addEventListener('click', () => void resetPassword(button));
	}
	// One listener for every reset link's Withdraw, those of links made after the page loaded included.
	$('#members').addEventListener('click', (event) => {
		const button = (event.target as HTMLElement).closest<HTMLButtonElement>('.withdraw-reset');
		if (button) {
			void withdrawReset(button);
		}
	});
	for (const button of $$<HTMLButtonElement>('.sign-out-member')) {
		button.addEventListener('click', async () => {
			const { id = '', email = '', tokenUntil = '' } = button.dataset;
			const question = `Sign ${email} out everywhere? Every VS Code and console sign-in of theirs ends now; they stay a member and sign in again.`;
			if (!window.confirm(question + tokenStillWorks(tokenUntil))) {
				return;
			}
			const { response, data } = await send<{ message?: string }>('POST', `/api/v1/admin/members/${encodeURIComponent(id)}/sign-out`);
			showStatus(
				response.ok
					? `Signed ${email} out everywhere: they sign in again to go on.`
					: (data.message ?? `Sign-out failed (${response.status}).`),
				response.ok ? 'success' : 'error',
			);
		});
	}
	for (const button of $$<HTMLButtonElement>('.sign-out-machine')) {
		button.addEventListener('click', () => void signOutMachine(button));
	}
	for (const button of $$<HTMLButtonElement>('.remove-member')) {
		button.addEventListener('click', async () => {
			const { id = '', email = '', tokenUntil = '' } = button.dataset;
			if (!window.confirm(`Remove ${email}? Their VS Code is signed out at once.${tokenStillWorks(tokenUntil)}`)) {
				return;
			}
			const { response, data } = await send<{ message?: string }>('DELETE', `/api/v1/admin/members/${encodeURIComponent(id)}`);
			if (response.ok) {
				button.closest('tr')?.remove();
				showStatus(`Removed ${email}.`, 'success');
			} else {
				showStatus(data.message ?? `Remove failed (${response.status}).`, 'error');
			}
		});
	}
	// One listener for every Withdraw button, those of invitations made after the page loaded included.
	$('#invitations').addEventListener('click', async (event) => {
		const button = (event.target as HTMLElement).closest<HTMLButtonElement>('.withdraw-invitation');
		if (!button) {
			return;
		}
		const email = button.dataset.email ?? '';
		if (!window.confirm(`Withdraw the invitation to ${email}? Its link stops working now.`)) {
			return;
		}
		const { response, data } = await send<{ message?: string }>('DELETE', `/api/v1/admin/invitations/${encodeURIComponent(email)}`);
		if (response.ok) {
			button.closest('li')?.remove();
			$('#no-invitations').hidden = $$('#invitations li').length > 0;
			showStatus(`Withdrew the invitation to ${email}: its link opens nothing now.`, 'success');
		} else {
			showStatus(data.message ?? `Withdraw failed (${response.status}).`, 'error');
		}
	});
}
