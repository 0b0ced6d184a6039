import * as z from 'zod';
import type { FieldError } from '../../policy';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import { newId } from '../crypto';
import type { GroupRecord, GroupSource, GroupStore } from '../store/group-store';
import type { Store } from '../store/store';
import { hasUnsafeText } from '../text-safety';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

/** A group as admins see it: its members by e-mail, and who manages it. */
export interface GroupView {
	id: string;
	displayName: string;
	source: GroupSource;
	/** Whether the console may change it (the directory's and the sign-in claims' groups are theirs). */
	editable: boolean;
	members: string[];
}

export const GroupNameSchema = z
	.string('must be a string')
	.trim()
	.min(1, 'must not be empty')
	.max(200, 'must be at most 200 characters')
	.refine((value) => !hasUnsafeText(value), 'must not contain control or bidirectional-override characters');

export const GroupChangeSchema = z.strictObject({
	displayName: GroupNameSchema.optional(),
	/** Members by e-mail. */
	add: z.array(z.string().max(EMAIL_MAX_LENGTH), 'must be a list of e-mail addresses').max(1000).optional(),
	remove: z.array(z.string().max(EMAIL_MAX_LENGTH), 'must be a list of e-mail addresses').max(1000).optional(),
});

export type GroupResult = { ok: true; value: GroupView } | { ok: false; status: 400 | 404 | 409; message: string; errors?: FieldError[] };

const MANAGED_BY: Record<Exclude<GroupSource, 'console'>, string> = {
	scim: 'your directory (SCIM)',
	sso: "your identity provider's group claim",
};

/**
 * Groups as the console and the admin API manage them. Groups made here are the console's to
 * change; those the directory provisions or sign-in claims name are shown, not changed here (the
 * next provisioning or sign-in would undo it).
 */
export class GroupsService {
	constructor(
		private readonly groups: GroupStore,
		private readonly users: Pick<Store, 'listUsers'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly changed: (orgId: string) => void = () => undefined,
		/** Why the policy depends on a group's name (its overlays, a rollout's canary), if it does. */
		private readonly namedByPolicy: (orgId: string, name: string) => Promise<string | undefined> = async () => undefined,
	) {}

	async list(orgId: string): Promise<GroupView[]> {
		const [groups, memberships, emails] = await Promise.all([
			this.groups.listGroups(orgId),
			this.groups.memberships(orgId),
			this.emails(orgId),
		]);
		return groups.map((group) => this.view(group, memberships.get(group.id) ?? [], emails));
	}

	/** Each member's groups by e-mail, in the groups' order. */
	async groupsByMember(orgId: string): Promise<Map<string, string[]>> {
		const [groups, memberships] = await Promise.all([this.groups.listGroups(orgId), this.groups.memberships(orgId)]);
		const byMember = new Map<string, string[]>();
		for (const group of groups) {
			for (const userId of memberships.get(group.id) ?? []) {
				byMember.set(userId, [...(byMember.get(userId) ?? []), group.displayName]);
			}
		}
		return byMember;
	}

	async create(orgId: string, actor: string, displayName: string, memberEmails: readonly string[]): Promise<GroupResult> {
		const ids = await this.idsOf(orgId, memberEmails);
		if (!ids.ok) {
			return ids;
		}
		const now = this.clock.now();
		const group: GroupRecord = { id: newId(), orgId, displayName, externalId: null, source: 'console', createdAt: now, updatedAt: now };
		if (!(await this.groups.createGroup(group, ids.value))) {
			return {
				ok: false,
				status: 409,
				message: `displayName: a group named ${displayName} exists already`,
				errors: [{ path: 'displayName', message: 'is taken by another group' }],
			};
		}
		await this.audit.record(orgId, actor, 'group.created', 'ok', { group: displayName, members: ids.value.length });
		this.changed(orgId);
		return this.one(orgId, group.id);
	}

	async change(orgId: string, actor: string, id: string, change: z.infer<typeof GroupChangeSchema>): Promise<GroupResult> {
		const group = await this.groups.getGroup(orgId, id);
		if (!group) {
			return { ok: false, status: 404, message: `no group ${id}` };
		}
		if (group.source !== 'console') {
			return { ok: false, status: 409, message: `${group.displayName} is managed by ${MANAGED_BY[group.source]}: change it there` };
		}
		const [add, remove] = [await this.idsOf(orgId, change.add ?? [], 'add'), await this.idsOf(orgId, change.remove ?? [], 'remove')];
		if (!add.ok || !remove.ok) {
			return !add.ok ? add : (remove as Extract<GroupResult, { ok: false }>);
		}
		if (change.displayName !== undefined && change.displayName !== group.displayName) {
			// Overlays and canaries name groups (in any case): renamed, its members would silently lose what the policy gives them.
			const recased = change.displayName.toLowerCase() === group.displayName.toLowerCase();
			const named = recased ? undefined : await this.namedByPolicy(orgId, group.displayName);
			if (named) {
				return {
					ok: false,
					status: 409,
					message: `displayName: ${group.displayName} cannot be renamed while ${named}: its members would lose it. Make a group with the new name and these members, point the policy at it, then delete this one`,
					errors: [{ path: 'displayName', message: `cannot change while ${named}` }],
				};
			}
			if (!(await this.groups.updateGroup(orgId, id, { displayName: change.displayName }, this.clock.now()))) {
				return {
					ok: false,
					status: 409,
					message: `displayName: a group named ${change.displayName} exists already`,
					errors: [{ path: 'displayName', message: 'is taken by another group' }],
				};
			}
		}
		await this.groups.changeMembers(orgId, id, { add: add.value, remove: remove.value });
		await this.audit.record(orgId, actor, 'group.changed', 'ok', {
			group: change.displayName ?? group.displayName,
			...(change.displayName && change.displayName !== group.displayName ? { renamedFrom: group.displayName } : {}),
			added: add.value.length,
			removed: remove.value.length,
		});
		this.changed(orgId);
		return this.one(orgId, id);
	}

	async delete(orgId: string, actor: string, id: string): Promise<GroupResult | { ok: true; value: undefined }> {
		const group = await this.groups.getGroup(orgId, id);
		if (!group) {
			return { ok: false, status: 404, message: `no group ${id}` };
		}
		if (group.source !== 'console') {
			return { ok: false, status: 409, message: `${group.displayName} is managed by ${MANAGED_BY[group.source]}: remove it there` };
		}
		const named = await this.namedByPolicy(orgId, group.displayName);
		if (named) {
			return {
				ok: false,
				status: 409,
				message: `${group.displayName} cannot be deleted while ${named}: its members would lose it. Change the policy first`,
			};
		}
		await this.groups.deleteGroup(orgId, id);
		await this.audit.record(orgId, actor, 'group.deleted', 'ok', { group: group.displayName });
		this.changed(orgId);
		return { ok: true, value: undefined };
	}

	private async one(orgId: string, id: string): Promise<GroupResult> {
		const found = (await this.list(orgId)).find((group) => group.id === id);
		return found ? { ok: true, value: found } : { ok: false, status: 404, message: `no group ${id}` };
	}

	/** Account ids for e-mail addresses; an address that is not a member is an error naming it. */
	private async idsOf(
		orgId: string,
		emails: readonly string[],
		field = 'members',
	): Promise<{ ok: true; value: string[] } | Extract<GroupResult, { ok: false }>> {
		const byEmail = new Map((await this.users.listUsers(orgId)).map((user) => [user.email, user.id]));
		const errors: FieldError[] = [];
		const ids: string[] = [];
		emails.forEach((email, index) => {
			const id = byEmail.get(email.trim().toLowerCase());
			if (id) {
				ids.push(id);
			} else {
				errors.push({ path: `${field}[${index}]`, message: `${email} is not a member of this organization` });
			}
		});
		return errors.length
			? { ok: false, status: 400, message: errors.map((error) => `${error.path}: ${error.message}`).join('; '), errors }
			: { ok: true, value: ids };
	}

	private async emails(orgId: string): Promise<Map<string, string>> {
		return new Map((await this.users.listUsers(orgId)).map((user) => [user.id, user.email]));
	}

	private view(group: GroupRecord, members: readonly string[], emails: Map<string, string>): GroupView {
		return {
			id: group.id,
			displayName: group.displayName,
			source: group.source,
			editable: group.source === 'console',
			members: members.map((id) => emails.get(id) ?? id).sort(),
		};
	}
}
