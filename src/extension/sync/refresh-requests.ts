type Waiter = { resolve: () => void; reject: (error: unknown) => void };

/** Who asked for a refresh and waits for it: each is answered by the first fetch that starts after they asked. */
export class RefreshRequests {
	private waiting: Waiter[] = [];

	ask(): Promise<void> {
		return new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
	}

	get pending(): boolean {
		return this.waiting.length > 0;
	}

	/** The requests a fetch starting now answers; later ones wait for the next. */
	take(): (error?: unknown) => void {
		const answering = this.waiting.splice(0);
		return (error) => settle(answering, error);
	}

	fail(error: unknown): void {
		settle(this.waiting.splice(0), error);
	}
}

function settle(waiters: readonly Waiter[], error: unknown): void {
	for (const waiter of waiters) {
		if (error === undefined) {
			waiter.resolve();
		} else {
			waiter.reject(error);
		}
	}
}
