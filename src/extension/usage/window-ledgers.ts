import { createHash } from 'node:crypto';
import { USAGE_LIMITS, type UsageBucket, type UsageReport } from '../../policy';
import type { ListedKeyValueStore } from '../base/storage';

/** A sealed report waiting for the service's word: sent again, with the same id, until it has it. */
export interface PendingReport extends UsageReport {
	readonly sealedAt: number;
}

/** What one window counted for one organization, as kept in global state. */
export interface Snapshot {
	version: 1;
	open: UsageBucket[];
	pending: PendingReport[];
	dropped: number;
	sent: { batchId: string; at: number; requests: number; buckets: number }[];
	/** When the window last wrote it. */
	touchedAt?: number;
	/** The window closed: everything in it is sealed, for another window to send. */
	closed?: boolean;
}

const STATE_PREFIX = 'orgProviderPolicy.usage.';
/** A window silent this long is taken for gone without saying so (a crash, a killed process). */
export const WINDOW_GONE_MS = 24 * 3600_000;

/**
 * Where each window keeps its ledger: its own key per organization (organization ids have no dots).
 * Every window of a VS Code shares global state, but a window's write reaches the others, and comes
 * back to itself, a moment later, replacing what it holds: a ledger shared by all of them, read and
 * written back on each change, loses counts. So each window writes only its own, and takes over
 * the ledgers of windows that are gone.
 */
export const windowLedgerKey = (orgId: string, windowId: string) => `${STATE_PREFIX}${orgId}.${windowId}`;
/** The one ledger per organization of the versions before per-window ledgers: taken over like a closed window's. */
const sharedLedgerKey = (orgId: string) => `${STATE_PREFIX}${orgId}`;

export const emptySnapshot = (): Snapshot => ({ version: 1, open: [], pending: [], dropped: 0, sent: [] });

/** Open buckets (and what was dropped) as reports within the size the service takes, each with its id. */
export function sealBuckets(open: readonly UsageBucket[], dropped: number, at: number, idFor: (index: number) => string): PendingReport[] {
	const reports: PendingReport[] = [];
	for (let start = 0; start < Math.max(open.length, 1); start += USAGE_LIMITS.bucketsPerReport) {
		reports.push({
			batchId: idFor(reports.length),
			buckets: open.slice(start, start + USAGE_LIMITS.bucketsPerReport),
			droppedRequests: start === 0 ? dropped : 0,
			sealedAt: at,
		});
	}
	return reports;
}

/** The other windows' ledgers of an organization: `gone` when closed, silent for a day, or of an older version. */
export function otherLedgers(
	state: ListedKeyValueStore,
	orgId: string,
	ownKey: string,
	now: number,
): { key: string; snapshot: Snapshot; gone: boolean }[] {
	const shared = sharedLedgerKey(orgId);
	return state
		.keys()
		.filter((key) => key !== ownKey && (key === shared || key.startsWith(`${shared}.`)))
		.flatMap((key) => {
			const snapshot = state.get<Snapshot>(key);
			if (snapshot?.version !== 1) {
				return [];
			}
			const gone = key === shared || snapshot.closed === true || now - (snapshot.touchedAt ?? 0) > WINDOW_GONE_MS;
			return [{ key, snapshot, gone }];
		});
}

/**
 * A gone window's reports, for another to send: its pending ones as they are, and what it had not
 * sealed (it crashed) sealed under ids made from its key, so two windows taking it over at once
 * send the same reports, which the service counts once.
 */
export function reportsOfGone(key: string, snapshot: Snapshot, at: number): PendingReport[] {
	const unsealed =
		snapshot.open.length || snapshot.dropped
			? sealBuckets(snapshot.open, snapshot.dropped, at, (index) => uuidFrom(`${key}:${snapshot.touchedAt ?? 0}:${index}`))
			: [];
	return [...snapshot.pending, ...unsealed];
}

/** A UUID (RFC 9562 version 8) made from a name: the same name, the same id. */
function uuidFrom(name: string): string {
	const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
	bytes[6] = (bytes[6]! & 0x0f) | 0x80;
	bytes[8] = (bytes[8]! & 0x3f) | 0x80;
	const hex = bytes.toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
