import { randomUUID } from 'node:crypto';
import type { PolicyDocument } from '../../policy';
import type { Scheduler } from '../base/scheduler';
import type { ListedKeyValueStore } from '../base/storage';
import type { SyncSession } from '../sync/transport';
import { PolicyTransport } from '../sync/transport';
import { BudgetGuard } from './budget-guard';
import { UsageLedger } from './usage-ledger';
import { UsageMeter, type UsageContext } from './usage-meter';
import { UsageReporter } from './usage-reporter';

export interface UsageHost {
	readonly state: ListedKeyValueStore;
	readonly scheduler: Scheduler;
	/** The policy applied now (live or cached). */
	readonly policy: () => PolicyDocument | undefined;
	/** Whether that policy governs the provider now (not the member's own provider). */
	readonly locked: () => boolean;
	/** The signed-in member's session with the policy service, when there is one. */
	readonly session: () => SyncSession | undefined;
	readonly countTokens: (model: string, text: string) => number;
	readonly notify: (message: string, level: 80 | 100) => void;
	readonly log: (message: string) => void;
}

/**
 * Usage counting, reporting and the budget, built once and wired to each other: the meter counts
 * into the ledger and asks the guard; the reporter sends the ledger and brings the guard the
 * service's standing.
 */
export function createUsageParts(host: UsageHost) {
	// Counted only while the organization's policy is enabled and asks for usage counts.
	const reporting = (): (UsageContext & { budgeted: boolean }) | undefined => {
		const document = host.policy();
		return document?.enabled && document.usage?.reporting === 'counts'
			? { orgId: document.organization.id, revision: document.revision, budgeted: Boolean(document.usage.budget) }
			: undefined;
	};
	const ledger = new UsageLedger(host.state, () => randomUUID());
	const guard = new BudgetGuard({
		ledger,
		state: host.state,
		now: () => host.scheduler.now(),
		owner: () => {
			const organization = host.policy()?.organization;
			return { organization: organization?.name ?? 'your organization', adminContact: organization?.adminContact };
		},
		notify: host.notify,
	});
	const meter = new UsageMeter({
		sink: ledger,
		context: () => (host.locked() ? reporting() : undefined),
		now: () => performance.timeOrigin + performance.now(),
		countTokens: host.countTokens,
		refusal: (orgId) => guard.refusal(orgId),
		counted: (orgId) => guard.check(orgId),
	});
	const reporter = new UsageReporter({
		ledger,
		scheduler: host.scheduler,
		log: host.log,
		target: () => {
			const counting = reporting();
			const session = host.session();
			return counting && session?.trust.organizationId === counting.orgId
				? { orgId: counting.orgId, transport: new PolicyTransport(session), budgeted: counting.budgeted }
				: undefined;
		},
		onStanding: (orgId, standing) => guard.update(orgId, standing),
	});
	return { ledger, guard, meter, reporter };
}
