import type { Scheduler } from '../../src/extension/base/scheduler';
import type { ManualClock } from './service';

/**
 * Virtual time shared by the extension's scheduler and the service's clock: nothing waits for
 * real time to pass, and the test decides when a delay is over.
 */
export class ManualScheduler implements Scheduler {
	readonly sleeps: number[] = [];
	private timers: { at: number; resolve: () => void }[] = [];
	private waiters: (() => void)[] = [];

	constructor(
		readonly clock: ManualClock,
		/** When true, every sleep ends at once (after moving the clock), e.g. for device-flow polling. */
		public autoAdvance = false,
		public randomValue = 0.5,
	) {}

	now(): number {
		return this.clock.now();
	}

	random(): number {
		return this.randomValue;
	}

	sleep(ms: number, signal?: AbortSignal): Promise<void> {
		this.sleeps.push(ms);
		if (this.autoAdvance) {
			this.clock.advance(ms);
			return Promise.resolve();
		}
		return new Promise((resolve, reject) => {
			const timer = { at: this.clock.now() + ms, resolve };
			this.timers.push(timer);
			this.waiters.splice(0).forEach((wake) => wake());
			signal?.addEventListener(
				'abort',
				() => {
					this.timers = this.timers.filter((candidate) => candidate !== timer);
					reject(signal.reason);
				},
				{ once: true },
			);
		});
	}

	/**
	 * Resolves with the length of the pending sleep (now, if the code under test is already
	 * sleeping; else when it starts to), so a test never races the loop it drives.
	 */
	pendingSleep(): Promise<number> {
		return new Promise((resolve) => {
			const check = () => {
				const timer = this.timers[0];
				if (timer) {
					resolve(timer.at - this.clock.now());
				} else {
					this.waiters.push(check);
				}
			};
			check();
		});
	}

	/** Moves time on and ends every sleep that is due. */
	advance(ms: number): void {
		this.clock.advance(ms);
		const due = this.timers.filter((timer) => timer.at <= this.clock.now());
		this.timers = this.timers.filter((timer) => timer.at > this.clock.now());
		due.forEach((timer) => timer.resolve());
	}
}
