import * as z from 'zod';
import type { AuditEventRecord, AuditPosition, AuditQuery } from '../store/audit-store';
import { isoTime } from '../clock';

/** A position in the activity list as the API hands it out: opaque to callers, an event's time and id inside. */
export function cursorOf(event: Pick<AuditEventRecord, 'at' | 'id'>): string {
	return Buffer.from(`${event.at}.${event.id}`).toString('base64url');
}

function positionOf(cursor: string): AuditPosition | undefined {
	const [at, ...id] = Buffer.from(cursor, 'base64url').toString().split('.');
	return /^\d+$/.test(at ?? '') && id.length > 0 ? { at: Number(at), id: id.join('.') } : undefined;
}

const Cursor = z
	.string()
	.max(200)
	.transform((cursor, context) => {
		const position = positionOf(cursor);
		if (!position) {
			context.addIssue({ code: 'custom', message: 'must be a cursor this list handed out (`next`)' });
			return z.NEVER;
		}
		return position;
	});

/** What a page of the activity list may ask for; a bad value is a 400 naming the field. */
export const ActivityQuerySchema = z
	.object({
		limit: z.coerce
			.number('must be a number')
			.int('must be a whole number')
			.min(1, 'must be at least 1')
			.max(1000, 'must be at most 1000')
			.default(100),
		before: Cursor.optional().describe('Older than this cursor, newest first (paging back)'),
		after: Cursor.optional().describe('Newer than this cursor, oldest first (what a log collector has not read yet)'),
		action: z.string().max(500).optional().describe('Only these actions, comma-separated (e.g. `member.removed,admin_token.revoked`)'),
		actor: z
			.string()
			.max(500, 'must be at most 500 characters')
			.optional()
			.describe(
				'Only what this actor did, exactly as events name them (e.g. `admin@acme.example (API token "policy pipeline", id q3XbT0k9VdM2a1Zr)`)',
			),
	})
	.refine((query) => !(query.before && query.after), { message: 'take one of before and after, not both', path: ['after'] });

export function auditQueryOf(query: z.infer<typeof ActivityQuerySchema>): AuditQuery {
	const actions = query.action
		?.split(',')
		.map((action) => action.trim())
		.filter(Boolean);
	return { limit: query.limit, before: query.before, after: query.after, actions, actor: query.actor || undefined };
}

export const ActivityEventSchema = z.object({
	id: z.string(),
	cursor: z.string().describe('Where this event stands: `after=` it reads what came since, `before=` it what came earlier'),
	at: z.string(),
	actor: z.string(),
	action: z.string(),
	outcome: z.enum(['ok', 'refused', 'failed']),
	detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export function activityEventView({ id, at, actor, action, outcome, detail }: AuditEventRecord): z.infer<typeof ActivityEventSchema> {
	return { id, cursor: cursorOf({ at, id }), at: isoTime(at), actor, action, outcome, detail };
}

/**
 * Where to read on from. Paging back (`before`, or the newest page): the last event's cursor while
 * pages are full. Reading on (`after`): always a cursor, the last event's or the one given, so a log
 * collector keeps its place even when nothing new came.
 */
export function nextCursor(events: readonly AuditEventRecord[], query: AuditQuery): string | undefined {
	const last = events.at(-1);
	if (query.after) {
		return cursorOf(last ?? query.after);
	}
	return last && events.length === query.limit ? cursorOf(last) : undefined;
}
