/** Time as the sync engine sees it, so tests drive it with a manual clock instead of sleeping. */
export interface Scheduler {
	now(): number;
	/** Resolves after `ms`, or rejects with an AbortError when the signal aborts first. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
	/** A number in [0, 1), for jitter. */
	random(): number;
}

export const realScheduler: Scheduler = {
	now: () => Date.now(),
	random: () => Math.random(),
	sleep: (ms, signal) =>
		new Promise<void>((resolve, reject) => {
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			const timer = setTimeout(() => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			}, ms);
			const onAbort = () => {
				clearTimeout(timer);
				reject(signal?.reason);
			};
			signal?.addEventListener('abort', onAbort, { once: true });
		}),
};
