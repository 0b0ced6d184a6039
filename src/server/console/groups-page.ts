import type { GroupView } from '../groups/groups-service';
import { html, type SafeHtml } from './html';
import type { Overlay } from '../../policy';
import { overlaysSection } from './overlays-fragment';

const MANAGED: Record<GroupView['source'], string> = {
	console: 'this console',
	scim: 'your directory (SCIM)',
	sso: 'sign-in group claim',
};

/** Members named in a group's row: a directory group of thousands is listed on the Members page instead. */
const CHIPS_PER_GROUP = 20;

function groupRow(group: GroupView): SafeHtml {
	const shown = group.members.slice(0, CHIPS_PER_GROUP);
	const more = group.members.length - shown.length;
	return html`<tr data-group-id="${group.id}" data-group-name="${group.displayName}">
		<th scope="row">${group.displayName}</th>
		<td>${MANAGED[group.source]}</td>
		<td class="group-members">${
			group.members.length
				? shown.map(
						(email) =>
							html`<span class="chip">${email}${group.editable ? html` <button type="button" class="link remove-from-group" data-email="${email}" aria-label="Remove ${email} from ${group.displayName}">×</button>` : ''}</span> `,
					)
				: html`<span class="muted">No members</span>`
		}${
			more > 0
				? html`<a class="group-all-members" href="/console/members?${new URLSearchParams({ group: group.displayName }).toString()}">and ${more.toLocaleString('en-US')} more: all ${group.members.length.toLocaleString('en-US')} on Members</a>`
				: ''
		}</td>
		<td>${
			group.editable
				? html`<form class="row add-to-group"><input type="email" class="group-add-email" placeholder="name@example.com" aria-label="Add a member to ${group.displayName}" required><button type="submit">Add</button></form>
					<button type="button" class="link rename-group">Rename</button> <button type="button" class="link delete-group">Delete</button>`
				: html`<span class="muted">Changed where it is managed</span>`
		}</td>
	</tr>`;
}

/** The Groups page: every group with its members and who manages it (the console's own groups are edited here), then the overlays that apply them. */
export function groupsPage(
	groups: readonly GroupView[],
	overlays: { overlays: readonly Overlay[]; overlaysMayChangeEndpoint: boolean; revision: number },
): SafeHtml {
	// The page's own heading first; the overlays, which apply these groups, after them.
	return html`<section class="card">
		<h1>Groups</h1>
		<p class="muted">Groups come from your directory (SCIM), from the group claim of single sign-on (at each member's sign-in), or are made here. Only groups made here are changed here.</p>
		<div id="status" class="status" role="status" aria-live="polite"></div>
		<table id="groups">
			<thead><tr><th scope="col">Group</th><th scope="col">Managed by</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
			<tbody>${groups.length ? groups.map(groupRow) : html`<tr><td colspan="4" class="muted">No groups yet.</td></tr>`}</tbody>
		</table>
		<h2>New group</h2>
		<form id="new-group" novalidate>
			<div class="field"><label for="group-name">Name</label><input id="group-name" required maxlength="200"><p class="field-error" data-error-for="displayName"></p></div>
			<div class="field"><label for="group-members">Members (one e-mail address per line)</label><textarea id="group-members" rows="4" spellcheck="false"></textarea><p class="field-error" data-error-for="members"></p></div>
			<div class="actions"><button type="submit" class="primary">Create group</button></div>
		</form>
	</section>${overlaysSection({ ...overlays, groups: groups.map((group) => group.displayName) })}`;
}
