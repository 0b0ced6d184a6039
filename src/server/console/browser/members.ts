import { $, $$, inputValue, localTime, removeKeepingFocus, send, showLocalTimes, showStatus } from './dom';
import { wireMemberRows } from './member-rows';

interface InvitationAnswer {
	invitation?: { email: string; role: string; expiresAt: string; link: string; emailed: boolean; emailError?: string };
	message?: string;
}

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
	wireMemberRows($('#members'));
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
			const item = button.closest('li');
			if (item) {
				removeKeepingFocus(item, $('#member-email'));
			}
			$('#no-invitations').hidden = $$('#invitations li').length > 0;
			showStatus(`Withdrew the invitation to ${email}: its link opens nothing now.`, 'success');
		} else {
			showStatus(data.message ?? `Withdraw failed (${response.status}).`, 'error');
		}
	});
}
