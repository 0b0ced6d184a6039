import { $, $$, send, showStatus } from './dom';

interface Answer {
	message?: string;
	fieldErrors?: { path: string; message: string }[];
}

/** The Groups page: make a group, add and remove members, rename and delete — each through the admin API, then the page again. */
export function wireGroups(table: HTMLElement): void {
	// Field errors go beside the fields of the form that was sent (the new group's); a row's change
	// (a rename, say) has no such fields, and its refusal is said in the status line whole.
	const done = async ({ response, data }: { response: Response; data: Answer }, success: string, form?: HTMLElement) => {
		if (!response.ok) {
			for (const error of form ? (data.fieldErrors ?? []) : []) {
				const slot = form?.querySelector(`[data-error-for="${error.path.split('[')[0]}"]`);
				if (slot) {
					slot.textContent = error.message;
				}
			}
			showStatus(data.message ?? 'The change was not saved.', 'error');
			return;
		}
		sessionStorage.setItem('groups-status', success);
		location.reload();
	};
	const saved = sessionStorage.getItem('groups-status');
	if (saved) {
		sessionStorage.removeItem('groups-status');
		showStatus(saved, 'success');
	}
	const newGroup = $<HTMLFormElement>('#new-group');
	newGroup.addEventListener('submit', (event) => {
		event.preventDefault();
		const displayName = $<HTMLInputElement>('#group-name').value.trim();
		const members = $<HTMLTextAreaElement>('#group-members')
			.value.split(/[\n,]/)
			.map((line) => line.trim())
			.filter(Boolean);
		void send<Answer>('POST', '/api/v1/admin/groups', { displayName, members }).then((response) =>
			done(response, `Created ${displayName}.`, newGroup),
		);
	});
	for (const row of $$('tr[data-group-id]', table)) {
		const id = row.dataset.groupId!;
		const name = row.dataset.groupName!;
		const change = (body: unknown, success: string) =>
			void send<Answer>('PATCH', `/api/v1/admin/groups/${encodeURIComponent(id)}`, body).then((response) => done(response, success));
		row.querySelector<HTMLFormElement>('.add-to-group')?.addEventListener('submit', (event) => {
			event.preventDefault();
			const email = $<HTMLInputElement>('.group-add-email', row).value.trim();
			change({ add: [email] }, `Added ${email} to ${name}.`);
		});
		for (const button of $$<HTMLButtonElement>('.remove-from-group', row)) {
			button.addEventListener('click', () => change({ remove: [button.dataset.email!] }, `Removed ${button.dataset.email} from ${name}.`));
		}
		row.querySelector('.rename-group')?.addEventListener('click', () => {
			const next = prompt(`New name for ${name}`, name)?.trim();
			if (next && next !== name) {
				change({ displayName: next }, `Renamed ${name} to ${next}.`);
			}
		});
		row.querySelector('.delete-group')?.addEventListener('click', () => {
			if (confirm(`Delete the group ${name}? Its members stay in the organization.`)) {
				void send<Answer>('DELETE', `/api/v1/admin/groups/${encodeURIComponent(id)}`).then((response) =>
					done(response, `Deleted ${name}.`),
				);
			}
		});
	}
}
