import type { UsageReport, UsageStanding } from '../../policy';
import { Disposable } from '../base/disposable';
import type { Scheduler } from '../base/scheduler';
import type { UsageLedger } from './usage-ledger';

/** The service's side of reporting, for the signed-in member (`PolicyTransport.reportUsage`). */
export interface UsageTransport {
	reportUsage(
		report: UsageReport,
		signal: AbortSignal,
	): Promise<{ kind: 'taken' } | { kind: 'refused'; reason: string } | { kind: 'signed-out' }>;
	usageStanding(signal: AbortSignal): Promise<UsageStanding | undefined>;
}

export interface UsageReporterDeps {
	readonly ledger: Pick<UsageLedger, 'seal' | 'nextPending' | 'settle' | 'stillHere'>;
	readonly scheduler: Scheduler;
	/** The organization whose counts may be sent now, and how to send them; undefined while reporting is off or no one is signed in. */
	readonly target: () => { orgId: string; transport: UsageTransport; budgeted: boolean } | undefined;
	/** The member's standing against a budget, fetched after each round of reports while the policy has one. */
	readonly onStanding?: (orgId: string, standing: UsageStanding) => void;
	readonly log: (message: string) => void;
	/** How often counts are sealed and sent; each member's moment is spread over it. */
	readonly intervalMs?: number;
	/** After a failed send, the wait doubles up to this. */
	readonly maxBackoffMs?: number;
}

export const REPORT_INTERVAL_MS = 60_000;

/**
 * Sends what the ledger counted, about once a minute: seals the open buckets into a report with
 * an id, then sends the reports oldest first. A report stays until the service has it (a retry
 * after a lost answer sends the same id, which the service counts once); offline or signed out,
 * it waits, across restarts (the ledger is in global state).
 */
export class UsageReporter extends Disposable {
	private readonly stopped = new AbortController();
	private running: Promise<void> | undefined;
	private readonly intervalMs: number;
	private readonly maxBackoffMs: number;

	constructor(private readonly deps: UsageReporterDeps) {
		super();
		this.intervalMs = deps.intervalMs ?? REPORT_INTERVAL_MS;
		this.maxBackoffMs = deps.maxBackoffMs ?? 30 * 60_000;
		this._register({ dispose: () => this.stopped.abort() });
	}

	start(): void {
		this.running ??= this.loop().catch(() => undefined);
	}

	private async loop(): Promise<void> {
		const { scheduler } = this.deps;
		// The first send comes at a random point of the interval, so a fleet that starts together does not report together.
		let wait = Math.floor(scheduler.random() * this.intervalMs);
		let failures = 0;
		for (;;) {
			await scheduler.sleep(wait, this.stopped.signal);
			this.deps.ledger.stillHere();
			const sent = await this.sendNow();
			failures = sent === 'failed' ? failures + 1 : 0;
			wait = failures ? Math.min(this.intervalMs * 2 ** failures, this.maxBackoffMs) : this.intervalMs;
		}
	}

	/** Seals and sends everything now (also the command and the tests); `failed` when the service could not be reached or refused for now. */
	async sendNow(): Promise<'sent' | 'nothing' | 'failed'> {
		const target = this.deps.target();
		if (!target) {
			return 'nothing';
		}
		const { orgId, transport } = target;
		this.deps.ledger.seal(orgId, this.deps.scheduler.now());
		let sent = false;
		for (let report = this.deps.ledger.nextPending(orgId); report; report = this.deps.ledger.nextPending(orgId)) {
			let answer: Awaited<ReturnType<UsageTransport['reportUsage']>>;
			try {
				const { sealedAt: _sealedAt, ...body } = report;
				answer = await transport.reportUsage(body, this.stopped.signal);
			} catch (error) {
				this.deps.log(`usage report not sent, kept for later: ${error instanceof Error ? error.message : String(error)}`);
				return 'failed';
			}
			if (answer.kind === 'signed-out') {
				return 'nothing';
			}
			if (answer.kind === 'refused') {
				this.deps.log(`the service refused a usage report (${answer.reason}); its requests are counted as dropped`);
			}
			this.deps.ledger.settle(orgId, report.batchId, answer.kind, this.deps.scheduler.now());
			sent = true;
		}
		await this.refreshStanding(target);
		return sent ? 'sent' : 'nothing';
	}

	/** Asks the service for the member's standing, where the policy has a budget (after reports, so it counts them). */
	async refreshStanding(target = this.deps.target()): Promise<void> {
		if (!target?.budgeted || !this.deps.onStanding) {
			return;
		}
		try {
			const standing = await target.transport.usageStanding(this.stopped.signal);
			if (standing) {
				this.deps.onStanding(target.orgId, standing);
			}
		} catch (error) {
			this.deps.log(`could not read the usage standing: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
}
