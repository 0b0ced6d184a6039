import type { Scheduler } from '../base/scheduler';
import { ServiceUnreachableError } from '../base/service-http';

/**
 * Notices a connection that stays open but goes silent (a proxy stalling an event stream): its
 * signal aborts when `kick()` was not called for the armed limit, measured by the scheduler.
 */
export class StallWatchdog {
	private readonly stalled = new AbortController();
	private readonly disposed = new AbortController();
	private lastActivity = 0;
	private armed = false;

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
		this.kick();
		if (limitMs !== undefined && !this.armed) {
			this.armed = true;
			void this.watch(limitMs, AbortSignal.any([this.stop, this.disposed.signal]));
		}
	}

	/**
	 * Something arrived: the silence starts again from now. Called for every event and heartbeat on
	 * thousands of streams, so it only notes the time; the one timer re-checks when it wakes.
	 */
	kick(): void {
		this.lastActivity = this.scheduler.now();
	}

	dispose(): void {
		this.disposed.abort();
	}

	private async watch(limitMs: number, signal: AbortSignal): Promise<void> {
		try {
			for (let wait = limitMs; wait > 0; wait = this.lastActivity + limitMs - this.scheduler.now()) {
				await this.scheduler.sleep(wait, signal);
			}
		} catch {
			return; // stopped or disposed
		}
		this.stalled.abort(new ServiceUnreachableError(`the policy event stream went silent (nothing for ${limitMs / 1000} s)`));
	}
}
