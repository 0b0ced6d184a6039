import { BUCKET_SUMS, bucketKey, USAGE_LIMITS, type UsageBucket, type UsageReport } from '../../policy';
import type { KeyValueStore } from '../base/storage';

/** A sealed report waiting for the service's word: sent again, with the same id, until it has it. */
export interface PendingReport extends UsageReport {
	readonly sealedAt: number;
}

/** What the member may look at: what was counted and not sent yet, and what the service took. */
export interface LedgerView {
	readonly open: readonly UsageBucket[];
	readonly pending: readonly PendingReport[];
	readonly droppedRequests: number;
	readonly sent: readonly { batchId: string; at: number; requests: number; buckets: number }[];
}

interface Snapshot {
	version: 1;
	open: UsageBucket[];
	pending: PendingReport[];
	dropped: number;
	sent: LedgerView['sent'][number][];
}

/** One request, counted: the bucket's key fields and its own numbers. */
export type CountedRequest = Omit<UsageBucket, (typeof BUCKET_SUMS)[number]> &
	Omit<Record<(typeof BUCKET_SUMS)[number], number>, 'requests'>;

const STATE_PREFIX = 'orgProviderPolicy.usage.';
/** Buckets kept per organization, open and sealed together: about three weeks of a busy member's hours. */
export const MAX_KEPT_BUCKETS = 5000;
const SENT_KEPT = 20;

/**
 * Counted requests per organization, as hourly buckets, kept in global state so they survive a
 * restart and offline time. Bounded: when full, a request that needs a new bucket is not kept,
 * only counted as dropped, and that count is itself reported.
 *
 * Every VS Code window runs its own copy of the extension over the same global state (VS Code hands
 * each window the others' writes), so the stored ledger is the only one: each change reads it as it
 * is now and writes it back at once. A window holding its own copy would write it over the other
 * windows' counts, and a window closed before its next report would lose its own.
 */
export class UsageLedger {
	/** The writes on their way to storage, for {@link flush}. */
	private writing: Promise<unknown> = Promise.resolve();

	constructor(
		private readonly state: KeyValueStore,
		private readonly newId: () => string,
		private readonly maxBuckets = MAX_KEPT_BUCKETS,
	) {}

	/** The organization's ledger as stored now (not to be changed: see {@link change}). */
	private stored(orgId: string): Snapshot {
		const stored = this.state.get<Snapshot>(STATE_PREFIX + orgId);
		return stored?.version === 1 ? stored : { version: 1, open: [], pending: [], dropped: 0, sent: [] };
	}

	/** Changes the stored ledger: `apply` edits a copy of it, and says whether it changed anything (then it is written back). */
	private change(orgId: string, apply: (snapshot: Snapshot) => boolean): void {
		const snapshot = structuredClone(this.stored(orgId));
		if (!apply(snapshot)) {
			return;
		}
		// The window's own global state answers the new value at once; the write to disk follows.
		const written = this.state.update(STATE_PREFIX + orgId, snapshot);
		this.writing = Promise.all([this.writing, written]).catch(() => undefined);
	}

	add(orgId: string, request: CountedRequest): void {
		this.change(orgId, (snapshot) => {
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
			return true;
		});
	}

	/** Seals what was counted into reports (each within the size the service takes); none when there is nothing. */
	seal(orgId: string, at: number): void {
		this.change(orgId, (snapshot) => {
			if (!snapshot.open.length && !snapshot.dropped) {
				return false;
			}
			const open = snapshot.open;
			for (let start = 0; start < Math.max(open.length, 1); start += USAGE_LIMITS.bucketsPerReport) {
				snapshot.pending.push({
					batchId: this.newId(),
					buckets: open.slice(start, start + USAGE_LIMITS.bucketsPerReport),
					droppedRequests: start === 0 ? snapshot.dropped : 0,
					sealedAt: at,
				});
			}
			snapshot.open = [];
			snapshot.dropped = 0;
			return true;
		});
	}

	/** The oldest report not yet taken by the service (another window may be sending it too: its id makes it count once). */
	nextPending(orgId: string): PendingReport | undefined {
		return this.stored(orgId).pending[0];
	}

	/**
	 * The service's word on a report: taken (or taken before), or refused for good (it will never
	 * take it: dropped, and its requests counted as dropped in the next report). A report another
	 * window settled already changes nothing.
	 */
	settle(orgId: string, batchId: string, outcome: 'taken' | 'refused', at: number): void {
		this.change(orgId, (snapshot) => {
			const report = snapshot.pending.find((candidate) => candidate.batchId === batchId);
			if (!report) {
				return false;
			}
			snapshot.pending = snapshot.pending.filter((candidate) => candidate !== report);
			const requests = report.buckets.reduce((sum, bucket) => sum + bucket.requests, 0);
			if (outcome === 'taken') {
				snapshot.sent = [{ batchId, at, requests, buckets: report.buckets.length }, ...snapshot.sent].slice(0, SENT_KEPT);
			} else {
				snapshot.dropped += requests + report.droppedRequests;
			}
			return true;
		});
	}

	/** Input and output tokens counted from `from` on that the service has not taken yet. */
	unsentTokens(orgId: string, from: number): number {
		const { open, pending } = this.stored(orgId);
		return [...open, ...pending.flatMap((report) => report.buckets)]
			.filter((bucket) => Date.parse(bucket.hour) >= from)
			.reduce((sum, bucket) => sum + bucket.inputTokens + bucket.outputTokens, 0);
	}

	view(orgId: string): LedgerView {
		const { open, pending, dropped, sent } = this.stored(orgId);
		return { open, pending, droppedRequests: dropped, sent };
	}

	/** Resolves once every change so far is written. */
	async flush(): Promise<void> {
		await this.writing;
	}
}
