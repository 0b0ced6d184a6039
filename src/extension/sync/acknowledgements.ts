import type { Scheduler } from '../base/scheduler';
import type { PolicyTransport } from './transport';

/**
 * Reports applied revisions to the service, once per revision, after a random delay within the
 * spread, so one save does not bring every member's report at the same instant. A report that
 * fails is made again on the next successful fetch.
 */
export class Acknowledgements {
	private acknowledged: number | undefined;

	constructor(
		private readonly scheduler: Scheduler,
		private readonly spreadMs: number,
	) {}

	/** A new sign-in: report again whatever it applies. */
	reset(): void {
		this.acknowledged = undefined;
	}

	report(revision: number, transport: PolicyTransport, signal: AbortSignal): void {
		if (this.acknowledged === revision) {
			return;
		}
		this.acknowledged = revision;
		void (async () => {
			const delay = Math.floor(this.scheduler.random() * this.spreadMs);
			try {
				if (delay > 0) {
					await this.scheduler.sleep(delay, signal);
				}
				if (!(await transport.reportApplied(revision, signal))) {
					throw new Error('signed out');
				}
			} catch {
				// Stopped, offline or signed out: the sync loop reports that; report again later.
				if (this.acknowledged === revision) {
					this.acknowledged = undefined;
				}
			}
		})();
	}
}
