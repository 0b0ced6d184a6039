import { $, $$, inputValue, send, showStatus } from './dom';

interface InvitationAnswer {
	invitation?: { email: string; expiresAt: string; link: string };
	message?: string;
}

/** The members page: invite by email, remove a member (their VS Code is signed out at once). */
export function wireMembers(addMember: HTMLFormElement): void {
	addMember.addEventListener('submit', async (event) => {
		event.preventDefault();
		const { response, data } = await send<InvitationAnswer>('POST', '/api/v1/admin/members', { email: inputValue('#member-email'), role: inputValue('#member-role') });
		if (response.ok && data.invitation) {
			$('#invite-link').textContent = `Send this one-time link to ${data.invitation.email} (valid until ${data.invitation.expiresAt}): ${data.invitation.link}`;
		} else {
			showStatus(data.message ?? `Invite failed (${response.status}).`, 'error');
		}
	});
	for (const button of $$<HTMLButtonElement>('.remove-member')) {
		button.addEventListener('click', async () => {
			const { id = '', email = '' } = button.dataset;
			if (!window.confirm(`Remove ${email}? Their VS Code is signed out at once.`)) {
				return;
			}
			const { response } = await send('DELETE', `/api/v1/admin/members/${encodeURIComponent(id)}`);
			if (response.ok) {
				button.closest('tr')?.remove();
				showStatus(`Removed ${email}.`, 'success');
			} else {
				showStatus(`Remove failed (${response.status}).`, 'error');
			}
		});
	}
}
