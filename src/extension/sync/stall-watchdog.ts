import type { Scheduler } from '../base/scheduler';
import { ServiceUnreachableError } from '../base/service-http';

/**
 * Notices a connection that stays open but goes silent (a proxy stalling an event stream): its
 * signal aborts when `kick()` was not called for the armed limit, measured by the scheduler.
 */
export class StallWatchdog {
	private readonly stalled = new AbortController();
	private timer = new AbortController();
	private limitMs: number | undefined;

	constructor(
		private readonly scheduler: Scheduler,
		private readonly stop: AbortSignal,
	) {}

	/** Aborts with a `ServiceUnreachableError` saying how long the silence lasted. */
	get signal(): AbortSignal {
		return this.stalled.signal;
	}

	/** Starts watching; without a limit (a service that announces no heartbeat) it never fires. */
	arm(limitMs: number | undefined): void {
		this.limitMs = limitMs;
		this.kick();
	}

	/** Something arrived: the silence starts again from now. */
	kick(): void {
		this.timer.abort();
		this.timer = new AbortController();
		const limit = this.limitMs;
		if (limit !== undefined) {
			this.scheduler.sleep(limit, AbortSignal.any([this.timer.signal, this.stop])).then(
				() => this.stalled.abort(new ServiceUnreachableError(`the policy event stream went silent (nothing for ${limit / 1000} s)`)),
				() => undefined,
			);
		}
	}

	dispose(): void {
		this.timer.abort();
	}
}
