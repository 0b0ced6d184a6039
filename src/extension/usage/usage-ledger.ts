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
 */
export class UsageLedger {
	private readonly snapshots = new Map<string, Snapshot>();
	private saving: Promise<void> | undefined;
	private readonly dirty = new Set<string>();

	constructor(
		private readonly state: KeyValueStore,
		private readonly newId: () => string,
		private readonly maxBuckets = MAX_KEPT_BUCKETS,
	) {}

	private of(orgId: string): Snapshot {
		let snapshot = this.snapshots.get(orgId);
		if (!snapshot) {
			const stored = this.state.get<Snapshot>(STATE_PREFIX + orgId);
			snapshot = stored?.version === 1 ? stored : { version: 1, open: [], pending: [], dropped: 0, sent: [] };
			this.snapshots.set(orgId, snapshot);
		}
		return snapshot;
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

	/** Seals what was counted into reports (each within the size the service takes); none when there is nothing. */
	seal(orgId: string, at: number): void {
		const snapshot = this.of(orgId);
		if (!snapshot.open.length && !snapshot.dropped) {
			return;
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
		this.saveSoon(orgId);
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

	/** Input and output tokens counted from `from` on that the service has not taken yet. */
	unsentTokens(orgId: string, from: number): number {
		const { open, pending } = this.of(orgId);
		return [...open, ...pending.flatMap((report) => report.buckets)]
			.filter((bucket) => Date.parse(bucket.hour) >= from)
			.reduce((sum, bucket) => sum + bucket.inputTokens + bucket.outputTokens, 0);
	}

	view(orgId: string): LedgerView {
		const { open, pending, dropped, sent } = this.of(orgId);
		return { open, pending, droppedRequests: dropped, sent };
	}

	/** Writes every changed organization's ledger now (also what a pending save would write). */
	async flush(): Promise<void> {
		const orgs = [...this.dirty];
		this.dirty.clear();
		await Promise.all(orgs.map((orgId) => this.state.update(STATE_PREFIX + orgId, this.snapshots.get(orgId))));
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
