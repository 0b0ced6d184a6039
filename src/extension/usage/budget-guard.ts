import { monthOf, type UsageStanding } from '../../policy';
import type { KeyValueStore } from '../base/storage';
import type { UsageLedger } from './usage-ledger';

/** Who set the budget, named in what the member is told. */
export interface BudgetOwner {
	readonly organization: string;
	readonly adminContact: string | undefined;
}

export interface BudgetGuardDeps {
	readonly ledger: Pick<UsageLedger, 'unsentTokens'>;
	/** Where the thresholds already told are remembered (global state), so a restart does not repeat them. */
	readonly state: KeyValueStore;
	readonly now: () => number;
	readonly owner: () => BudgetOwner;
	/** Shows the member a notice (at 80% and at 100% of the allowance, once each a month). */
	readonly notify: (message: string, level: 80 | 100) => void;
}

const NOTICES_KEY = 'orgProviderPolicy.budgetNotices';
const number = (value: number) => value.toLocaleString('en-US');

/**
 * The member's monthly allowance, as the extension applies it between the service's answers: the
 * service's count (the truth, fetched after each report) plus what was counted here and not yet
 * reported. A hard budget refuses requests once used up; a soft one only tells the member.
 */
export class BudgetGuard {
	private standing: { orgId: string; value: UsageStanding } | undefined;

	constructor(private readonly deps: BudgetGuardDeps) {}

	update(orgId: string, standing: UsageStanding): void {
		this.standing = { orgId, value: standing };
		this.check(orgId);
	}

	/** This month's tokens and allowance, when the service has said; undefined without a budget. */
	measure(orgId: string): { used: number; allowance: number; enforcement: 'soft' | 'hard'; resetsAt: number } | undefined {
		const standing = this.standing?.orgId === orgId ? this.standing.value : undefined;
		if (!standing?.allowance || !standing.enforcement) {
			return undefined;
		}
		const month = monthOf(this.deps.now());
		// A new month began since the service answered: what it counted belongs to the last one.
		const counted = standing.month === month.month ? standing.usedTokens : 0;
		return {
			used: counted + this.deps.ledger.unsentTokens(orgId, month.from),
			allowance: standing.allowance,
			enforcement: standing.enforcement,
			resetsAt: month.to,
		};
	}

	/** The sentence a request is refused with, while a hard budget is used up. */
	refusal(orgId: string): string | undefined {
		const budget = this.measure(orgId);
		if (budget?.enforcement !== 'hard' || budget.used < budget.allowance) {
			return undefined;
		}
		return `${this.usedUp(budget.allowance, budget.resetsAt)} Until then, requests to its models are refused.`;
	}

	/** After a request was counted: tells the member once a month at 80% and at 100%. */
	check(orgId: string): void {
		const budget = this.measure(orgId);
		if (!budget) {
			return;
		}
		const level = budget.used >= budget.allowance ? 100 : budget.used >= 0.8 * budget.allowance ? 80 : undefined;
		if (!level) {
			return;
		}
		const key = `${orgId}:${monthOf(this.deps.now()).month}:${level}`;
		const told = this.deps.state.get<string[]>(NOTICES_KEY) ?? [];
		if (told.includes(key)) {
			return;
		}
		void this.deps.state.update(NOTICES_KEY, [
			...told.filter((entry) => !entry.startsWith(`${orgId}:`) || entry.includes(monthOf(this.deps.now()).month)),
			key,
		]);
		this.deps.notify(
			level === 100
				? `${this.usedUp(budget.allowance, budget.resetsAt)}${budget.enforcement === 'hard' ? ' Until then, requests to its models are refused.' : ''}`
				: `You have used ${Math.floor((100 * budget.used) / budget.allowance)}% of your monthly allowance of ${number(budget.allowance)} tokens for ${this.deps.owner().organization}'s models.`,
			level,
		);
	}

	private usedUp(allowance: number, resetsAt: number): string {
		const { organization, adminContact } = this.deps.owner();
		const renews = new Date(resetsAt).toLocaleDateString('en-US', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
		return `You have used your monthly allowance of ${number(allowance)} tokens for ${organization}'s models; it renews on ${renews} (UTC)${adminContact ? `, or ask ${adminContact} to raise it` : ', or ask your admin to raise it'}.`;
	}
}
