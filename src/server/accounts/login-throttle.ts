/**
 * Failed sign-ins per account with a growing delay (NIST SP 800-63B §5.2.2): the first few
 * failures cost nothing, then each further attempt waits twice as long as the last, up to 15
 * minutes, whatever address it comes from. A success clears the account's record.
 *
 * Kept in this instance's memory: several instances behind one address each count their own.
 */
export class LoginThrottle {
	private readonly failures = new Map<string, { count: number; lastAt: number }>();

	constructor(
		private readonly freeFailures = 4,
		private readonly maxDelayMs = 15 * 60_000,
		private readonly maxAccounts = 100_000,
	) {}

	/** Milliseconds until this account may try again; 0 when it may now. */
	waitFor(account: string, now: number): number {
		const record = this.failures.get(account);
		if (!record || record.count <= this.freeFailures) {
			return 0;
		}
		const delay = Math.min(this.maxDelayMs, 1000 * 2 ** (record.count - this.freeFailures - 1));
		return Math.max(0, record.lastAt + delay - now);
	}

	failed(account: string, now: number): void {
		if (this.failures.size >= this.maxAccounts && !this.failures.has(account)) {
			// Bounded memory: the oldest record goes first (Map keeps insertion order).
			this.failures.delete(this.failures.keys().next().value!);
		}
		const record = this.failures.get(account);
		this.failures.delete(account);
		this.failures.set(account, { count: (record?.count ?? 0) + 1, lastAt: now });
	}

	succeeded(account: string): void {
		this.failures.delete(account);
	}
}
