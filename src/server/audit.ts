import type { Clock } from './clock';
import { newId } from './crypto';
import { neutralise } from './text-safety';
import type { AuditEventRecord, AuditOutcome, AuditQuery, AuditStore } from './store/audit-store';

/** Where audit lines also go: the service log (pino's `info`/`warn` shape). */
export interface AuditLogger {
	info(object: object, message: string): void;
	warn(object: object, message: string): void;
}

export type AuditDetail = AuditEventRecord['detail'];

/** Longest name of who did something, as a policy revision's `updatedBy` takes it. */
const ACTOR_MAX_LENGTH = 320;

/**
 * How the activity list and the revision history name what an admin API token did: its maker, its
 * label and its id, so a leaked or misused pipeline token shows in what it did, not only as its
 * maker. The id keeps apart tokens of one label over time (a revoked "ci" and its successor, also
 * "ci"), and is the one `GET /api/v1/admin/tokens` lists and `DELETE` takes.
 */
export function apiTokenActor(makerEmail: string, label: string | null, id: string): string {
	const named = `${makerEmail} (API token "${label ?? ''}", id ${id})`;
	return label && named.length <= ACTOR_MAX_LENGTH ? named : `${makerEmail} (API token, id ${id})`;
}

/**
 * The organization's activity list: sign-ins, joins, provisioning and SSO setting changes, in the
 * database (for the console) and in the service log. Callers pass no secrets; only names, reasons
 * and outcomes.
 */
export class AuditLog {
	constructor(
		private readonly store: AuditStore,
		private readonly clock: Clock,
		private readonly log: AuditLogger,
	) {}

	async record(orgId: string, actor: string, action: string, outcome: AuditOutcome, raw: AuditDetail = {}): Promise<void> {
		// Names, reasons and user agents come from users: no control or bidi character reaches the list or the log.
		actor = neutralise(actor);
		const detail: AuditDetail = Object.fromEntries(
			Object.entries(raw).map(([key, value]) => [key, typeof value === 'string' ? neutralise(value) : value]),
		);
		const event: AuditEventRecord = { id: newId(), orgId, at: this.clock.now(), actor, action, outcome, detail };
		const line = { audit: { org: orgId, actor, action, outcome, ...detail } };
		if (outcome === 'ok') {
			this.log.info(line, `audit: ${action}`);
		} else {
			this.log.warn(line, `audit: ${action} ${outcome}`);
		}
		try {
			await this.store.appendAudit(event);
		} catch (error) {
			// The log line above already holds the event; a sign-in does not fail over its audit row.
			this.log.warn({ err: error, audit: line.audit }, 'could not store an audit event');
		}
	}

	list(orgId: string, query: AuditQuery): Promise<AuditEventRecord[]> {
		return this.store.listAudit(orgId, query);
	}
}
