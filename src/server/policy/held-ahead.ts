import type { Clock } from '../clock';
import type { Store } from '../store/store';

/**
 * How far past the newest revision saved here a member's word is taken: far beyond any backup's
 * age in saves, and a member who makes one up can only skip that many revision numbers.
 */
export const MAX_REVISIONS_AHEAD = 10_000;

/** On the admin API's `GET /policy`: the revision a member holds beyond the newest here (the next save is numbered past it). */
export const HELD_AHEAD_HEADER = 'org-policy-held-ahead';

/** Where a failure to note one is said (the read that carried it is answered anyway). */
export interface HeldAheadLog {
	warn(object: object, message: string): void;
}

/**
 * Members who hold a revision newer than any saved here, from what their reads say they hold
 * (`If-None-Match`, `Last-Event-ID`): the database was restored from an earlier backup. Their
 * extensions refuse a revision older than one they applied, so the next save must be numbered past
 * theirs: once noted in the store, `PolicyService` numbers it so. Each instance writes a number only when it is the
 * highest it has seen, so members reconnecting after a restore cost one write, not one per read.
 */
export class RevisionsHeldAhead {
	private readonly noted = new Map<string, number>();

	constructor(
		private readonly store: Pick<Store, 'noteRevisionHeld'>,
		private readonly clock: Clock,
		private readonly log: HeldAheadLog,
	) {}

	/** A member's read said they hold `held`; the newest revision here is `newest`. */
	note(orgId: string, userId: string, held: number | undefined, newest: number): void {
		if (held === undefined || !Number.isInteger(held) || held <= newest || held > newest + MAX_REVISIONS_AHEAD) {
			return;
		}
		if ((this.noted.get(orgId) ?? 0) >= held) {
			return;
		}
		this.noted.set(orgId, held);
		this.log.warn(
			{ org: orgId, member: userId, held, newest },
			`a member holds revision ${held}, newer than the newest saved here (${newest}): was the database restored from a backup? The next save is numbered past it`,
		);
		this.store.noteRevisionHeld(orgId, userId, held, this.clock.now()).catch((error: unknown) => {
			this.noted.delete(orgId);
			this.log.warn({ err: error, org: orgId }, 'could not note the revision a member holds');
		});
	}
}
