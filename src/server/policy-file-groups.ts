/** The console's groups as a policy file holds them (`groups: { Name: [e-mail, …] }`), planned and applied through the admin API. */

export interface ListedGroup {
	id: string;
	displayName: string;
	source: 'console' | 'scim' | 'sso';
	members: string[];
}

export type GroupStep =
	| { kind: 'create'; displayName: string; members: string[] }
	| { kind: 'change'; id: string; displayName: string; add: string[]; remove: string[] }
	| { kind: 'delete'; id: string; displayName: string };

const MANAGED_ELSEWHERE = { scim: 'your directory (SCIM)', sso: 'the sign-in group claim' } as const;

/**
 * What making the console's groups look like the file takes: groups made, members added and removed,
 * groups deleted; in the console's words. Groups the directory or the sign-in claim manage are not
 * the file's: naming one is an error. Names and addresses compare without case.
 */
export function planGroups(
	current: readonly ListedGroup[],
	desired: Readonly<Record<string, readonly string[]>>,
): { lines: string[]; steps: GroupStep[]; errors: string[] } {
	const lines: string[] = [];
	const steps: GroupStep[] = [];
	const errors: string[] = [];
	const byName = new Map(current.map((group) => [group.displayName.toLowerCase(), group]));
	const wanted = new Set<string>();
	for (const [name, members] of Object.entries(desired)) {
		const emails = [...new Set(members.map((email) => email.trim().toLowerCase()))].sort();
		const found = byName.get(name.toLowerCase());
		wanted.add(name.toLowerCase());
		if (found && found.source !== 'console') {
			errors.push(`groups.${name}: is managed by ${MANAGED_ELSEWHERE[found.source]}; leave it out of the file`);
			continue;
		}
		if (!found) {
			steps.push({ kind: 'create', displayName: name, members: emails });
			lines.push(`Group ${name}: new${emails.length ? ` — ${emails.join(', ')}` : ''}`);
			continue;
		}
		const add = emails.filter((email) => !found.members.includes(email));
		const remove = found.members.filter((email) => !emails.includes(email));
		if (add.length || remove.length) {
			steps.push({ kind: 'change', id: found.id, displayName: found.displayName, add, remove });
			lines.push(
				`Group ${found.displayName}: ${[add.length ? `adds ${add.join(', ')}` : '', remove.length ? `removes ${remove.join(', ')}` : ''].filter(Boolean).join('; ')}`,
			);
		}
	}
	for (const group of current) {
		if (group.source === 'console' && !wanted.has(group.displayName.toLowerCase())) {
			steps.push({ kind: 'delete', id: group.id, displayName: group.displayName });
			lines.push(`Group ${group.displayName}: removed`);
		}
	}
	return { lines, steps, errors };
}

/** The console's own groups, as a file's `groups`. */
export function consoleGroups(current: readonly ListedGroup[]): Record<string, string[]> {
	return Object.fromEntries(
		current.filter((group) => group.source === 'console').map((group) => [group.displayName, [...group.members].sort()]),
	);
}

/** Makes the changes a plan listed, through the admin API, in order; the first refusal stops it (and says which). */
export async function applyGroupSteps(
	call: (method: string, path: string, body?: unknown) => Promise<unknown>,
	steps: readonly GroupStep[],
): Promise<void> {
	for (const step of steps) {
		if (step.kind === 'create') {
			await call('POST', '/api/v1/admin/groups', { displayName: step.displayName, members: step.members });
		} else if (step.kind === 'change') {
			await call('PATCH', `/api/v1/admin/groups/${encodeURIComponent(step.id)}`, { add: step.add, remove: step.remove });
		} else {
			await call('DELETE', `/api/v1/admin/groups/${encodeURIComponent(step.id)}`);
		}
		console.log(`group ${step.displayName}: ${step.kind === 'create' ? 'made' : step.kind === 'change' ? 'changed' : 'deleted'}`);
	}
}
