import { randomUUID } from 'node:crypto';
import { monthOf } from '../../src/policy';
import { BudgetGuard } from '../../src/extension/usage/budget-guard';
import { UsageLedger, type CountedRequest } from '../../src/extension/usage/usage-ledger';
import { UsageMeter } from '../../src/extension/usage/usage-meter';
import { MementoLikeVsCode } from '../../test/support/memory-storage';

const HOUR_MS = 3600_000;

function countedRequest(hoursAgo: number, model: string, now: number): CountedRequest {
	const hour = new Date(Math.floor(now / HOUR_MS) * HOUR_MS - hoursAgo * HOUR_MS).toISOString();
	return {
		hour,
		model,
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 2,
		inputTokens: 10,
		outputTokens: 5,
		cachedTokens: 0,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 1,
		firstTokenMs: 100,
		durationMs: 200,
	};
}

/**
 * A meter counting under a hard monthly budget while `otherWindows` other VS Code windows hold
 * `bucketsEach` unsent buckets each (sealed into reports, as a member offline for days would have):
 * the budget is checked before and after every request, against every window's unsent tokens.
 */
export async function budgetedMeter(
	orgId: string,
	otherWindows: number,
	bucketsEach: number,
): Promise<{ meter: UsageMeter; ledger: UsageLedger }> {
	const state = new MementoLikeVsCode();
	const now = Date.now();
	for (let window = 0; window < otherWindows; window++) {
		const other = new UsageLedger(state, () => randomUUID(), bucketsEach + 1, { id: `window-${window}`, now: () => now });
		for (let bucket = 0; bucket < bucketsEach; bucket++) {
			other.add(orgId, countedRequest(bucket % 500, `model-${Math.floor(bucket / 500)}`, now));
			if (bucket % 10 === 9) {
				other.seal(orgId, now);
			}
		}
		await other.flush();
	}
	const ledger = new UsageLedger(state, () => randomUUID());
	const guard = new BudgetGuard({
		ledger,
		state,
		now: () => Date.now(),
		owner: () => ({ organization: 'Acme Corp', adminContact: undefined }),
		notify: () => undefined,
	});
	const month = monthOf(now);
	guard.update(orgId, {
		month: month.month,
		resetsAt: new Date(month.to).toISOString(),
		usedTokens: 0,
		allowance: 1e12,
		enforcement: 'hard',
	});
	const meter = new UsageMeter({
		sink: ledger,
		context: () => ({ orgId, revision: 2 }),
		now: () => performance.timeOrigin + performance.now(),
		countTokens: (_model, text) => Math.ceil(text.length / 4),
		refusal: (id) => guard.refusal(id),
		counted: (id) => guard.check(id),
	});
	return { meter, ledger };
}
