import { BUCKET_SUMS, bucketKey, type UsageBucket } from '../../policy';
import type { ListedKeyValueStore } from '../base/storage';
import {
	emptySnapshot,
	otherLedgers,
	reportsOfGone,
	sealBuckets,
	windowLedgerKey,
	type PendingReport,
	type Snapshot,
} from './window-ledgers';

export type { PendingReport } from './window-ledgers';

/** What the member may look at: what was counted and not sent yet, and what the service took. */
export interface LedgerView {
	readonly open: readonly UsageBucket[];
	readonly pending: readonly PendingReport[];
	readonly droppedRequests: number;
	readonly sent: readonly { batchId: string; at: number; requests: number; buckets: number }[];
}

/** One request, counted: the bucket's key fields and its own numbers. */
export type CountedRequest = Omit<UsageBucket, (typeof BUCKET_SUMS)[number]> &
	Omit<Record<(typeof BUCKET_SUMS)[number], number>, 'requests'>;

/** Buckets kept per organization, open and sealed together: about three weeks of a busy member's hours. */
export const MAX_KEPT_BUCKETS = 5000;
const SENT_KEPT = 20;
/** How often a window holding counts rewrites its ledger, to show it is still open (a day, see `WINDOW_GONE_MS`). */
const STILL_HERE_MS = 3600_000;

/** This window: its id, and the clock that says when it last wrote its ledger. */
export interface LedgerWindow {
	readonly id: string;
	readonly now: () => number;
}

/**
 * Counted requests per organization, as hourly buckets, kept in global state so they survive a
 * restart and offline time. Bounded: when full, a request that needs a new bucket is not kept,
 * only counted as dropped, and that count is itself reported.
 *
 * Each VS Code window keeps its own (see {@link windowLedgerKey}); closing, it seals what it
 * counted, and the next window to load or seal its ledger takes that over and sends it.
 */
export class UsageLedger {
	private readonly snapshots = new Map<string, Snapshot>();
	private saving: Promise<void> | undefined;
	private readonly dirty = new Set<string>();
	private readonly sums = new WeakMap<object, { from: number; tokens: number }>();

	constructor(
		private readonly state: ListedKeyValueStore,
		private readonly newId: () => string,
		private readonly maxBuckets = MAX_KEPT_BUCKETS,
		private readonly window: LedgerWindow = { id: newId(), now: () => Date.now() },
	) {}

	private ownKey(orgId: string): string {
		return windowLedgerKey(orgId, this.window.id);
	}

	private of(orgId: string): Snapshot {
		let snapshot = this.snapshots.get(orgId);
		if (!snapshot) {
			snapshot = emptySnapshot();
			this.snapshots.set(orgId, snapshot);
			this.takeOverGone(orgId, snapshot);
		}
		return snapshot;
	}

	/** The reports of this organization's windows that are gone become this window's to send (into `snapshot`, its own). */
	private takeOverGone(orgId: string, snapshot: Snapshot): void {
		const now = this.window.now();
		for (const { key, snapshot: other, gone } of otherLedgers(this.state, orgId, this.ownKey(orgId), now)) {
			if (!gone) {
				continue;
			}
			const known = new Set(snapshot.pending.map((report) => report.batchId));
			snapshot.pending.push(...reportsOfGone(key, other, now).filter((report) => !known.has(report.batchId)));
			// What it sent stays in Show Reported Usage, newest first.
			snapshot.sent = [...snapshot.sent, ...other.sent].sort((a, b) => b.at - a.at).slice(0, SENT_KEPT);
			void this.state.update(key, undefined);
			this.saveSoon(orgId);
		}
	}

	add(orgId: string, request: CountedRequest): void {
		const snapshot = this.of(orgId);
		const key = bucketKey(request);
		const found = snapshot.open.find((bucket) => bucketKey(bucket) === key);
		if (found) {
			const sums = found as Record<(typeof BUCKET_SUMS)[number], number>;
			for (const name of BUCKET_SUMS) {
				sums[name] += name === 'requests' ? 1 : request[name];
			}
		} else if (snapshot.open.length + snapshot.pending.reduce((sum, report) => sum + report.buckets.length, 0) >= this.maxBuckets) {
			snapshot.dropped += 1;
		} else {
			snapshot.open.push({ ...request, requests: 1 });
		}
		this.saveSoon(orgId);
	}

	/** Seals what was counted into reports (each within the size the service takes); none when there is nothing. Takes over gone windows' reports first. */
	seal(orgId: string, at: number): void {
		// A first use takes them over; after that, a window may have gone since the last seal.
		const open = this.snapshots.get(orgId);
		if (open) {
			this.takeOverGone(orgId, open);
		}
		const snapshot = open ?? this.of(orgId);
		if (!snapshot.open.length && !snapshot.dropped) {
			return;
		}
		snapshot.pending.push(...sealBuckets(snapshot.open, snapshot.dropped, at, () => this.newId()));
		snapshot.open = [];
		snapshot.dropped = 0;
		this.saveSoon(orgId);
	}

	/**
	 * Says this window is still open, for ledgers holding counts not written for an hour (a window
	 * signed out for a day would otherwise look gone, and its counts be sent by another as well).
	 */
	stillHere(): void {
		for (const [orgId, snapshot] of this.snapshots) {
			const holds = snapshot.open.length > 0 || snapshot.pending.length > 0 || snapshot.dropped > 0;
			if (holds && this.window.now() - (snapshot.touchedAt ?? 0) > STILL_HERE_MS) {
				this.saveSoon(orgId);
			}
		}
	}

	/** This window closes: what it counted is sealed and written, for the next window to send. */
	async close(): Promise<void> {
		const at = this.window.now();
		for (const [orgId, snapshot] of this.snapshots) {
			this.seal(orgId, at);
			snapshot.closed = true;
			this.dirty.add(orgId);
		}
		await this.flush();
	}

	/** The oldest report not yet taken by the service. */
	nextPending(orgId: string): PendingReport | undefined {
		return this.of(orgId).pending[0];
	}

	/**
	 * The service's word on a report: taken (or taken before), or refused for good (it will never
	 * take it: dropped, and its requests counted as dropped in the next report).
	 */
	settle(orgId: string, batchId: string, outcome: 'taken' | 'refused', at: number): void {
		const snapshot = this.of(orgId);
		const report = snapshot.pending.find((candidate) => candidate.batchId === batchId);
		if (!report) {
			return;
		}
		snapshot.pending = snapshot.pending.filter((candidate) => candidate !== report);
		const requests = report.buckets.reduce((sum, bucket) => sum + bucket.requests, 0);
		if (outcome === 'taken') {
			snapshot.sent = [{ batchId, at, requests, buckets: report.buckets.length }, ...snapshot.sent].slice(0, SENT_KEPT);
		} else {
			snapshot.dropped += requests + report.droppedRequests;
		}
		this.saveSoon(orgId);
	}

	/** Input and output tokens counted from `from` on that the service has not taken yet (this window's and the others'). */
	unsentTokens(orgId: string, from: number): number {
		const own = this.of(orgId);
		return this.everyWindow(orgId).reduce(
			(sum, snapshot) =>
				sum + (snapshot === own ? this.unsentIn(own, from) : this.summed(snapshot, from, () => this.unsentIn(snapshot, from))),
			0,
		);
	}

	private unsentIn(snapshot: Snapshot, from: number): number {
		const sealed = snapshot.pending.reduce((sum, report) => sum + this.summed(report, from, () => tokensFrom(report.buckets, from)), 0);
		return tokensFrom(snapshot.open, from) + sealed;
	}

	/**
	 * The sum for a sealed report or another window's ledger, worked out once: the budget asks on
	 * every request, a ledger may hold thousands of buckets, and neither changes once made (VS Code's
	 * memento hands back the same object until a write replaces it with a new one).
	 */
	private summed(of: object, from: number, sum: () => number): number {
		const known = this.sums.get(of);
		if (known?.from === from) {
			return known.tokens;
		}
		const tokens = sum();
		this.sums.set(of, { from, tokens });
		return tokens;
	}

	/** What is counted and not yet taken in every open window, and what this one sent. */
	view(orgId: string): LedgerView {
		const windows = this.everyWindow(orgId);
		return {
			open: windows.flatMap((snapshot) => snapshot.open),
			pending: windows.flatMap((snapshot) => snapshot.pending),
			droppedRequests: windows.reduce((sum, snapshot) => sum + snapshot.dropped, 0),
			sent: this.of(orgId).sent,
		};
	}

	private everyWindow(orgId: string): Snapshot[] {
		const others = otherLedgers(this.state, orgId, this.ownKey(orgId), this.window.now());
		return [this.of(orgId), ...others.filter((other) => !other.gone).map((other) => other.snapshot)];
	}

	/** Writes every changed organization's ledger now (also what a pending save would write). */
	async flush(): Promise<void> {
		const orgs = [...this.dirty];
		this.dirty.clear();
		const touchedAt = this.window.now();
		await Promise.all(
			orgs.map((orgId) => {
				const snapshot = this.snapshots.get(orgId)!;
				snapshot.touchedAt = touchedAt;
				return this.state.update(this.ownKey(orgId), snapshot);
			}),
		);
	}

	/** Coalesces the writes of a burst of requests into one, a moment later. */
	private saveSoon(orgId: string): void {
		this.dirty.add(orgId);
		this.saving ??= new Promise<void>((resolve) => setTimeout(resolve, 1000).unref?.()).then(async () => {
			this.saving = undefined;
			await this.flush();
		});
	}
}

/** Input and output tokens of the buckets of hours from `from` on. */
function tokensFrom(buckets: readonly UsageBucket[], from: number): number {
	let tokens = 0;
	for (const bucket of buckets) {
		if (Date.parse(bucket.hour) >= from) {
			tokens += bucket.inputTokens + bucket.outputTokens;
		}
	}
	return tokens;
}
