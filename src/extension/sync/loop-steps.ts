import type { RefreshRequests } from './refresh-requests';

/** How one step of the sync loop ended. */
export type Step = 'ok' | 'signed-out' | 'unsupported' | 'woken' | 'stopped' | { failed: unknown };
type Finished = Exclude<Step, 'woken' | 'stopped' | { failed: unknown }>;

/**
 * Runs the sync loop's pieces one at a time and says how each ended: failures become values, not
 * jumps. A wakeable piece (a wait, the stream) is cut short by a refresh; a fetch is not.
 */
export class LoopSteps {
	/** Aborted to cut the current wait or stream short when a refresh is asked for. */
	private current: AbortController | undefined;

	constructor(private readonly refreshes: Pick<RefreshRequests, 'pending'>) {}

	/** Cuts the current wait or stream short (a refresh was asked for). */
	wake(): void {
		this.current?.abort(new Error('refresh'));
	}

	async run(work: (signal: AbortSignal) => Promise<Finished>, run: AbortSignal, wakeable = true): Promise<Step> {
		if (!wakeable) {
			try {
				return await work(run);
			} catch (error) {
				return run.aborted ? 'stopped' : { failed: error };
			}
		}
		const wake = new AbortController();
		this.current = wake;
		if (this.refreshes.pending) {
			// A refresh was asked for while the previous step ran: cut this one short at once.
			wake.abort(new Error('refresh'));
		}
		const signal = AbortSignal.any([run, wake.signal]);
		try {
			return await work(signal);
		} catch (error) {
			if (run.aborted) {
				return 'stopped';
			}
			return wake.signal.aborted ? 'woken' : { failed: error };
		}
	}
}
