import type { Event } from '../../src/extension/base/disposable';

/** Waits until a condition on another party's state holds, checking between event-loop turns; fails after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		}
		await new Promise((resolve) => setImmediate(resolve));
	}
}

/** Resolves with the current value once it matches, re-checking on every change event (never a sleep); fails after `timeoutMs`. */
export function whenChanged<T>(
	current: () => T,
	onChange: Event<unknown>,
	predicate: (value: T) => boolean,
	what: string,
	timeoutMs = 5000,
): Promise<T> {
	if (predicate(current())) {
		return Promise.resolve(current());
	}
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			listener.dispose();
			reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; now: ${JSON.stringify(current())}`));
		}, timeoutMs);
		const listener = onChange(() => {
			if (predicate(current())) {
				clearTimeout(timer);
				listener.dispose();
				resolve(current());
			}
		});
	});
}
