import type { Kysely } from 'kysely';
import type { Tables } from './tables';

export type AuditOutcome = 'ok' | 'refused' | 'failed';

/** One line of the activity list: who did what, how it ended, and the non-secret particulars. */
export interface AuditEventRecord {
	id: string;
	orgId: string;
	at: number;
	actor: string;
	action: string;
	outcome: AuditOutcome;
	detail: Record<string, string | number | boolean | null>;
}

/** Where a page of the activity list starts: an event's time and id (ids break ties within a millisecond). */
export interface AuditPosition {
	readonly at: number;
	readonly id: string;
}

export interface AuditQuery {
	/** At most this many events. */
	readonly limit: number;
	/** Older than this event, newest first (paging back through the list). */
	readonly before?: AuditPosition | undefined;
	/** Newer than this event, oldest first (what a log collector has not read yet). */
	readonly after?: AuditPosition | undefined;
	/** Only these actions. */
	readonly actions?: readonly string[] | undefined;
	/** Only what this actor did, named exactly as the list names them. */
	readonly actor?: string | undefined;
}

/** The organization's activity list: appended to, never changed. */
export interface AuditStore {
	appendAudit(event: AuditEventRecord): Promise<void>;
	/** Newest first, unless the query reads on from `after` (then oldest first). */
	listAudit(orgId: string, query: AuditQuery): Promise<AuditEventRecord[]>;
}

export class SqlAuditStore implements AuditStore {
	constructor(private readonly db: Kysely<Tables>) {}

	async appendAudit(event: AuditEventRecord): Promise<void> {
		await this.db
			.insertInto('audit_events')
			.values({
				id: event.id,
				org_id: event.orgId,
				at: event.at,
				actor: event.actor,
				action: event.action,
				outcome: event.outcome,
				detail: JSON.stringify(event.detail),
			})
			.execute();
	}

	async listAudit(orgId: string, { limit, before, after, actions, actor }: AuditQuery): Promise<AuditEventRecord[]> {
		const direction = after ? 'asc' : 'desc';
		let query = this.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
		if (before) {
			query = query.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
		}
		if (after) {
			query = query.where((eb) => eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('id', '>', after.id)])]));
		}
		if (actions?.length) {
			query = query.where('action', 'in', [...actions]);
		}
		if (actor !== undefined) {
			query = query.where('actor', '=', actor);
		}
		const rows = await query.orderBy('at', direction).orderBy('id', direction).limit(limit).execute();
		return rows.map((row) => ({
			id: row.id,
			orgId: row.org_id,
			at: row.at,
			actor: row.actor,
			action: row.action,
			outcome: row.outcome as AuditOutcome,
			detail: JSON.parse(row.detail) as AuditEventRecord['detail'],
		}));
	}
}
