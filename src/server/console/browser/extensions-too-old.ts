import { $, send } from './dom';

const TOO_OLD = 'extension too old';

/**
 * After a save, the members whose extension cannot be given it (it understands too old a policy
 * schema: organization tokens, or only models the Responses API serves, need schema 3), with a link
 * to them on Members: they keep what they have until they update, which only they can do.
 */
export async function noteExtensionsTooOld(): Promise<void> {
	const query = new URLSearchParams({ sync: TOO_OLD, limit: '1' });
	const { response, data } = await send<{ matching?: number }>('GET', `/api/v1/admin/members?${query}`);
	const count = data.matching ?? 0;
	if (!response.ok || count === 0) {
		return;
	}
	const link = document.createElement('a');
	link.id = 'extensions-too-old';
	link.href = `/console/members?${new URLSearchParams({ sync: TOO_OLD })}`;
	link.textContent = count === 1 ? "1 member's extension is too old for it" : `${count} members' extensions are too old for it`;
	$('#status').append(' ', link, ': they keep the revision they have until they update Org Provider Policy in VS Code.');
}
