/** Retry waits; a retry after the service answered again starts from the shortest. */
export const BACKOFF = { initialMs: 1000, maxMs: 30_000 } as const;

/** Exponential backoff with jitter: the n-th retry waits between half and all of min(30 s, 1 s·2ⁿ). */
export function backoffDelay(attempt: number, random: number): number {
	const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** attempt);
	return Math.max(BACKOFF.initialMs, Math.round(ceiling / 2 + (random * ceiling) / 2));
}

export interface SyncOptions {
	/**
	 * Members report an applied revision after a random delay within this window, so one save
	 * does not bring every member's report to the service in the same instant.
	 */
	ackSpreadMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = { ackSpreadMs: 2000 };
export const POLL_INTERVAL_MS = 60_000;
/** Heartbeats a stream may miss before it counts as stalled. */
export const MISSED_HEARTBEATS = 3;

/**
 * How long a stream may stay silent: three missed heartbeats and half an interval more, so a third
 * heartbeat that is merely late (a busy proxy, a slow fan-out) is not taken for a stall.
 */
export function stallAfterMs(heartbeatMs: number): number {
	return heartbeatMs * MISSED_HEARTBEATS + heartbeatMs / 2;
}
