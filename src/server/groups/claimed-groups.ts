import { newId } from '../crypto';
import type { GroupStore } from '../store/group-store';
import { hasUnsafeText } from '../text-safety';

/** Names a sign-in's group claim may bring: about as many as a directory puts in a token. */
const MAX_CLAIMED = 200;

/**
 * A member's groups as their identity provider's group claim names them, at each sign-in: a named
 * group is created the first time (source `sso`), the member joins every named group, and leaves
 * the claim-made groups no longer named. Groups the directory (SCIM) or the console manage are
 * joined when named but never left because of a claim: their owner decides that.
 * Returns whether the member's groups changed.
 */
export async function syncClaimedGroups(
	groups: GroupStore,
	orgId: string,
	userId: string,
	claimed: readonly string[],
	now: number,
): Promise<boolean> {
	const names = [
		...new Set(claimed.map((name) => name.trim()).filter((name) => name.length > 0 && name.length <= 200 && !hasUnsafeText(name))),
	].slice(0, MAX_CLAIMED);
	const before = await groups.groupsOf(userId);
	const wanted = new Set<string>();
	for (const name of names) {
		let group = await groups.findGroupByName(orgId, name);
		if (!group) {
			const made = { id: newId(), orgId, displayName: name, externalId: null, source: 'sso' as const, createdAt: now, updatedAt: now };
			// Another sign-in may have made it a moment ago: then it is found.
			group = (await groups.createGroup(made, [])) ? made : await groups.findGroupByName(orgId, name);
		}
		if (group) {
			wanted.add(group.id);
		}
	}
	let changed = false;
	for (const id of wanted) {
		if (!before.some((group) => group.id === id)) {
			await groups.changeMembers(orgId, id, { add: [userId] });
			changed = true;
		}
	}
	for (const group of before) {
		if (group.source === 'sso' && !wanted.has(group.id)) {
			await groups.changeMembers(orgId, group.id, { remove: [userId] });
			changed = true;
		}
	}
	return changed;
}
