import { filter as scimFilter, parse as parseFilter, type Filter } from 'scim2-parse-filter';
import * as z from 'zod';
import type { AuditLog } from '../audit';
import { isoTime, type Clock } from '../clock';
import { newId } from '../crypto';
import type { GroupRecord, GroupStore } from '../store/group-store';
import type { Store } from '../store/store';
import { hasUnsafeText } from '../text-safety';
import { PATCH_SCHEMA, problem, type ScimResult } from '../sso/scim-resource';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** A Group resource (RFC 7643 §4.2): its members by account id, with their e-mail as `display`. */
export interface ScimGroup {
	schemas: string[];
	id: string;
	externalId?: string;
	displayName: string;
	members: { value: string; display: string; $ref: string }[];
	meta: { resourceType: 'Group'; created: string; lastModified: string; location: string };
	[attribute: string]: unknown;
}

const text = (name: string, max: number) =>
	z
		.string(`${name} must be a string`)
		.trim()
		.min(1, `${name} must not be empty`)
		.max(max, `${name} must be at most ${max} characters`)
		.refine((value) => !hasUnsafeText(value), `${name} must not contain control or bidirectional-override characters`);
const MemberList = z
	.array(z.looseObject({ value: z.string('members[].value must be a string').max(100) }), 'members must be an array')
	.max(10_000);
const GroupInput = z.looseObject({
	displayName: text('displayName', 200),
	externalId: text('externalId', 500).optional(),
	members: MemberList.optional(),
});
const PatchInput = z.looseObject({
	schemas: z.array(z.string()).refine((schemas) => schemas.includes(PATCH_SCHEMA), `schemas must contain ${PATCH_SCHEMA}`),
	Operations: z
		.array(
			z.looseObject({ op: z.string(), path: z.string().max(300).optional(), value: z.unknown().optional() }),
			'Operations must be an array',
		)
		.min(1, 'Operations must not be empty')
		.max(1000),
});
/** `members[value eq "…"]`: one member, as Okta and Entra ID name them to remove. */
const MEMBER_PATH = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i;

/**
 * SCIM Groups (RFC 7644) as Entra ID and Okta provision them: create, read, `filter` (the common
 * `displayName eq` is one indexed read), replace, delete, and PATCH in both directories' shapes —
 * members added and removed as a list or by `members[value eq "…"]`, renames with or without a path.
 */
export class ScimGroups {
	constructor(
		private readonly groups: GroupStore,
		private readonly users: Pick<Store, 'listUsers'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly locationOf: (kind: 'Users' | 'Groups', id: string) => string,
		/** Told after every change of a group or its members (effective policies follow membership). */
		private readonly changed: (orgId: string) => void = () => undefined,
	) {}

	async create(orgId: string, body: unknown): Promise<ScimResult<ScimGroup>> {
		const input = GroupInput.safeParse(body);
		if (!input.success) {
			return problem('invalidValue', input.error.issues[0]?.message ?? 'not a Group');
		}
		const now = this.clock.now();
		const group: GroupRecord = {
			id: newId(),
			orgId,
			displayName: input.data.displayName,
			externalId: input.data.externalId ?? null,
			source: 'scim',
			createdAt: now,
			updatedAt: now,
		};
		if (
			!(await this.groups.createGroup(
				group,
				(input.data.members ?? []).map((member) => member.value),
			))
		) {
			return problem('uniqueness', `a group named ${input.data.displayName} exists already`);
		}
		await this.audit.record(orgId, 'scim', 'scim.group_created', 'ok', { group: group.displayName });
		this.changed(orgId);
		return this.get(orgId, group.id);
	}

	async get(orgId: string, id: string): Promise<ScimResult<ScimGroup>> {
		const group = await this.groups.getGroup(orgId, id);
		if (!group) {
			return problem('notFound', `no Group ${id}`);
		}
		const [members, emails] = [await this.groups.memberships(orgId), await this.emails(orgId)];
		return { ok: true, value: this.resource(group, members.get(id) ?? [], emails) };
	}

	/** Every group the filter matches (every group without one), in the order lists show them. */
	async matching(orgId: string, filter: string | undefined): Promise<ScimResult<ScimGroup[]>> {
		let parsed: Filter | undefined;
		try {
			parsed = filter ? parseFilter(filter) : undefined;
		} catch (error) {
			return problem('invalidFilter', `the filter could not be parsed: ${(error as Error).message}`);
		}
		const byName = parsed?.op === 'eq' && parsed.attrPath.toLowerCase() === 'displayname' ? String(parsed.compValue) : undefined;
		const found =
			byName !== undefined
				? [await this.groups.findGroupByName(orgId, byName)].filter((group) => group !== undefined)
				: await this.groups.listGroups(orgId);
		const [members, emails] = [await this.groups.memberships(orgId), await this.emails(orgId)];
		let resources = found.map((group) => this.resource(group, members.get(group.id) ?? [], emails));
		if (parsed && byName === undefined) {
			resources = resources.filter(scimFilter(parsed));
		}
		return { ok: true, value: resources };
	}

	/** PUT: the name, externalId and members as sent. */
	async replace(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimGroup>> {
		const input = GroupInput.safeParse(body);
		if (!input.success) {
			return problem('invalidValue', input.error.issues[0]?.message ?? 'not a Group');
		}
		return this.apply(orgId, id, {
			displayName: input.data.displayName,
			externalId: input.data.externalId ?? null,
			members: { replace: (input.data.members ?? []).map((member) => member.value) },
		});
	}

	async patch(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimGroup>> {
		const request = PatchInput.safeParse(body);
		if (!request.success) {
			return problem('invalidSyntax', request.error.issues[0]?.message ?? 'not a PatchOp request');
		}
		const change: { displayName?: string; externalId?: string | null; members: { add: string[]; remove: string[]; replace?: string[] } } = {
			members: { add: [], remove: [] },
		};
		for (const operation of request.data.Operations) {
			const op = operation.op.toLowerCase();
			const path = operation.path?.trim();
			const values = () => {
				const list = MemberList.safeParse(operation.value);
				return list.success ? list.data.map((member) => member.value) : undefined;
			};
			if (op !== 'add' && op !== 'remove' && op !== 'replace') {
				return problem('invalidSyntax', `op must be add, remove or replace, not ${operation.op}`);
			}
			const single = path && MEMBER_PATH.exec(path);
			if (single && op === 'remove') {
				change.members.remove.push(single[1]!);
			} else if (path?.toLowerCase() === 'members') {
				const ids = operation.value === undefined && op === 'remove' ? [] : values();
				if (!ids) {
					return problem('invalidValue', 'members must be a list of { "value": "<user id>" }');
				}
				if (op === 'add') {
					change.members.add.push(...ids);
				} else if (op === 'replace' || operation.value === undefined) {
					change.members = { add: [], remove: [], replace: ids };
				} else {
					change.members.remove.push(...ids);
				}
			} else if (op !== 'remove' && (path === undefined || ['displayname', 'externalid'].includes(path.toLowerCase()))) {
				const value =
					path === undefined ? operation.value : { [path.toLowerCase() === 'displayname' ? 'displayName' : 'externalId']: operation.value };
				const fields = z
					.looseObject({
						displayName: GroupInput.shape.displayName.optional(),
						externalId: GroupInput.shape.externalId,
						members: MemberList.optional(),
					})
					.safeParse(value);
				if (!fields.success) {
					return problem('invalidValue', fields.error.issues[0]?.message ?? 'not Group attributes');
				}
				change.displayName = fields.data.displayName ?? change.displayName;
				change.externalId = fields.data.externalId ?? change.externalId;
				if (fields.data.members) {
					change.members = { add: [], remove: [], replace: fields.data.members.map((member) => member.value) };
				}
			} else {
				return problem(op === 'remove' ? 'noTarget' : 'invalidPath', `${operation.op} ${path ?? '(no path)'} is not supported on a Group`);
			}
		}
		return this.apply(orgId, id, change);
	}

	async delete(orgId: string, id: string): Promise<ScimResult<undefined>> {
		const group = await this.groups.getGroup(orgId, id);
		if (!group || !(await this.groups.deleteGroup(orgId, id))) {
			return problem('notFound', `no Group ${id}`);
		}
		await this.audit.record(orgId, 'scim', 'scim.group_deleted', 'ok', { group: group.displayName });
		this.changed(orgId);
		return { ok: true, value: undefined };
	}

	private async apply(
		orgId: string,
		id: string,
		change: { displayName?: string; externalId?: string | null; members: { add?: string[]; remove?: string[]; replace?: string[] } },
	): Promise<ScimResult<ScimGroup>> {
		const group = await this.groups.getGroup(orgId, id);
		if (!group) {
			return problem('notFound', `no Group ${id}`);
		}
		const renamed = change.displayName !== undefined && change.displayName !== group.displayName;
		if (renamed || change.externalId !== undefined) {
			const updated = await this.groups.updateGroup(
				orgId,
				id,
				{
					...(renamed ? { displayName: change.displayName } : {}),
					...(change.externalId !== undefined ? { externalId: change.externalId } : {}),
				},
				this.clock.now(),
			);
			if (!updated) {
				return problem('uniqueness', `a group named ${change.displayName} exists already`);
			}
		}
		const before = (await this.groups.memberships(orgId)).get(id) ?? [];
		const after = await this.groups.changeMembers(orgId, id, change.members);
		const added = after.filter((member) => !before.includes(member)).length;
		const removed = before.filter((member) => !after.includes(member)).length;
		if (renamed || added || removed) {
			await this.audit.record(orgId, 'scim', 'scim.group_updated', 'ok', {
				group: change.displayName ?? group.displayName,
				...(renamed ? { renamedFrom: group.displayName } : {}),
				added,
				removed,
			});
			this.changed(orgId);
		}
		return this.get(orgId, id);
	}

	private async emails(orgId: string): Promise<Map<string, string>> {
		return new Map((await this.users.listUsers(orgId)).map((user) => [user.id, user.email]));
	}

	private resource(group: GroupRecord, members: readonly string[], emails: Map<string, string>): ScimGroup {
		return {
			schemas: [GROUP_SCHEMA],
			id: group.id,
			...(group.externalId ? { externalId: group.externalId } : {}),
			displayName: group.displayName,
			members: members.map((member) => ({ value: member, display: emails.get(member) ?? member, $ref: this.locationOf('Users', member) })),
			meta: {
				resourceType: 'Group',
				created: isoTime(group.createdAt),
				lastModified: isoTime(group.updatedAt),
				location: this.locationOf('Groups', group.id),
			},
		};
	}
}
