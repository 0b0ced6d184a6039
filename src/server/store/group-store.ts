import type { Kysely, Transaction } from 'kysely';
import type { Tables } from './tables';

/** Where a group comes from: made in the console, provisioned by the directory (SCIM), or named in sign-in claims. */
export type GroupSource = 'console' | 'scim' | 'sso';

export interface GroupRecord {
	id: string;
	orgId: string;
	displayName: string;
	/** The directory's id for the group (SCIM `externalId`). */
	externalId: string | null;
	source: GroupSource;
	createdAt: number;
	updatedAt: number;
}

/** Groups of an organization's members, and who is in each. */
export interface GroupStore {
	/** False when the organization already has a group of that name (names are unique, case-insensitively). */
	createGroup(group: GroupRecord, memberIds: readonly string[]): Promise<boolean>;
	getGroup(orgId: string, id: string): Promise<GroupRecord | undefined>;
	findGroupByName(orgId: string, displayName: string): Promise<GroupRecord | undefined>;
	listGroups(orgId: string): Promise<GroupRecord[]>;
	/** False when no such group, or the new name is another group's. */
	updateGroup(orgId: string, id: string, change: { displayName?: string; externalId?: string | null }, at: number): Promise<boolean>;
	deleteGroup(orgId: string, id: string): Promise<boolean>;
	/** Adds and removes members in one transaction (ids not in the organization are ignored); returns the members after. */
	changeMembers(
		orgId: string,
		id: string,
		change: { add?: readonly string[]; remove?: readonly string[]; replace?: readonly string[] },
	): Promise<string[]>;
	/** Member ids by group id, for every group of the organization. */
	memberships(orgId: string): Promise<Map<string, string[]>>;
	/** The groups one member is in. */
	groupsOf(userId: string): Promise<GroupRecord[]>;
}

type GroupRow = Tables['member_groups'];

function toGroup(row: GroupRow): GroupRecord {
	return {
		id: row.id,
		orgId: row.org_id,
		displayName: row.display_name,
		externalId: row.external_id,
		source: row.source as GroupSource,
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
	};
}

export class SqlGroupStore implements GroupStore {
	constructor(
		private readonly db: Kysely<Tables>,
		/** Tells other instances (PostgreSQL NOTIFY) that members' groups changed, in the same transaction. */
		private readonly announce: (trx: Transaction<Tables>, orgId: string) => Promise<void> = async () => undefined,
	) {}

	async createGroup(group: GroupRecord, memberIds: readonly string[]): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			const taken = await trx
				.selectFrom('member_groups')
				.select('id')
				.where('org_id', '=', group.orgId)
				.where('name_key', '=', group.displayName.toLowerCase())
				.executeTakeFirst();
			if (taken) {
				return false;
			}
			await trx
				.insertInto('member_groups')
				.values({
					id: group.id,
					org_id: group.orgId,
					display_name: group.displayName,
					name_key: group.displayName.toLowerCase(),
					external_id: group.externalId,
					source: group.source,
					created_at: group.createdAt,
					updated_at: group.updatedAt,
				})
				.execute();
			const members = await this.inOrganization(trx, group.orgId, memberIds);
			if (members.length) {
				await trx
					.insertInto('group_members')
					.values(members.map((userId) => ({ group_id: group.id, user_id: userId, org_id: group.orgId })))
					.execute();
			}
			await this.announce(trx, group.orgId);
			return true;
		});
	}

	async getGroup(orgId: string, id: string): Promise<GroupRecord | undefined> {
		const row = await this.db.selectFrom('member_groups').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
		return row && toGroup(row);
	}

	async findGroupByName(orgId: string, displayName: string): Promise<GroupRecord | undefined> {
		const row = await this.db
			.selectFrom('member_groups')
			.selectAll()
			.where('org_id', '=', orgId)
			.where('name_key', '=', displayName.toLowerCase())
			.executeTakeFirst();
		return row && toGroup(row);
	}

	async listGroups(orgId: string): Promise<GroupRecord[]> {
		const rows = await this.db.selectFrom('member_groups').selectAll().where('org_id', '=', orgId).orderBy('name_key').execute();
		return rows.map(toGroup);
	}

	async updateGroup(orgId: string, id: string, change: { displayName?: string; externalId?: string | null }, at: number): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			if (change.displayName !== undefined) {
				const taken = await trx
					.selectFrom('member_groups')
					.select('id')
					.where('org_id', '=', orgId)
					.where('name_key', '=', change.displayName.toLowerCase())
					.where('id', '!=', id)
					.executeTakeFirst();
				if (taken) {
					return false;
				}
			}
			const updated = await trx
				.updateTable('member_groups')
				.set({
					updated_at: at,
					...(change.displayName !== undefined ? { display_name: change.displayName, name_key: change.displayName.toLowerCase() } : {}),
					...(change.externalId !== undefined ? { external_id: change.externalId } : {}),
				})
				.where('org_id', '=', orgId)
				.where('id', '=', id)
				.executeTakeFirst();
			// A renamed group may now match an overlay, or no longer.
			await this.announce(trx, orgId);
			return updated.numUpdatedRows > 0n;
		});
	}

	async deleteGroup(orgId: string, id: string): Promise<boolean> {
		return this.db.transaction().execute(async (trx) => {
			await trx.deleteFrom('group_members').where('group_id', '=', id).where('org_id', '=', orgId).execute();
			const deleted = await trx.deleteFrom('member_groups').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
			await this.announce(trx, orgId);
			return deleted.numDeletedRows > 0n;
		});
	}

	async changeMembers(
		orgId: string,
		id: string,
		change: { add?: readonly string[]; remove?: readonly string[]; replace?: readonly string[] },
	): Promise<string[]> {
		return this.db.transaction().execute(async (trx) => {
			if (change.replace) {
				await trx.deleteFrom('group_members').where('group_id', '=', id).where('org_id', '=', orgId).execute();
			}
			if (change.remove?.length) {
				await trx
					.deleteFrom('group_members')
					.where('group_id', '=', id)
					.where('user_id', 'in', [...change.remove])
					.execute();
			}
			const adding = await this.inOrganization(trx, orgId, [...(change.replace ?? []), ...(change.add ?? [])]);
			if (adding.length) {
				await trx
					.insertInto('group_members')
					.values(adding.map((userId) => ({ group_id: id, user_id: userId, org_id: orgId })))
					.onConflict((conflict) => conflict.columns(['group_id', 'user_id']).doNothing())
					.execute();
			}
			const rows = await trx.selectFrom('group_members').select('user_id').where('group_id', '=', id).orderBy('user_id').execute();
			await this.announce(trx, orgId);
			return rows.map((row) => row.user_id);
		});
	}

	async memberships(orgId: string): Promise<Map<string, string[]>> {
		const rows = await this.db
			.selectFrom('group_members')
			.select(['group_id', 'user_id'])
			.where('org_id', '=', orgId)
			.orderBy('user_id')
			.execute();
		const byGroup = new Map<string, string[]>();
		for (const row of rows) {
			byGroup.set(row.group_id, [...(byGroup.get(row.group_id) ?? []), row.user_id]);
		}
		return byGroup;
	}

	async groupsOf(userId: string): Promise<GroupRecord[]> {
		const rows = await this.db
			.selectFrom('member_groups')
			.innerJoin('group_members', 'group_members.group_id', 'member_groups.id')
			.selectAll('member_groups')
			.where('group_members.user_id', '=', userId)
			.orderBy('member_groups.name_key')
			.execute();
		return rows.map(toGroup);
	}

	/** The ids that are members of the organization (a group never holds anyone else). */
	private async inOrganization(trx: Kysely<Tables>, orgId: string, ids: readonly string[]): Promise<string[]> {
		const unique = [...new Set(ids)];
		if (!unique.length) {
			return [];
		}
		const rows = await trx.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', 'in', unique).execute();
		return rows.map((row) => row.id);
	}
}
