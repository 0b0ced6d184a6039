import { monthOf, USAGE_LIMITS, type FieldError, type UsageReport, type UsageStanding } from '../../policy';
import { DAY_MS, type Clock } from '../clock';
import type { MemberDocumentOf } from '../policy/member-document';
import type { PolicyService } from '../policy/policy-service';
import type { Store } from '../store/store';
import type { UsageDimension, UsageFilter, UsageGroup, UsageTotals } from '../store/usage-store';

const HOUR_MS = 3_600_000;

export type IngestResult = { ok: true; duplicate: boolean } | { ok: false; errors: FieldError[] };

/** What a report added, for the service's own totals (Prometheus): never per member. */
export interface IngestedCounts {
	/** The model, or `other` for one the policy does not name. */
	model: string;
	outcome: string;
	requests: number;
	inputTokens: number;
	outputTokens: number;
}

/** The Usage page's picture of a period: each chart's numbers, and the totals. */
export interface UsageSummary {
	from: number;
	to: number;
	totals: UsageTotals;
	droppedRequests: number;
	/** Tokens per day by model. */
	byDayModel: UsageGroup[];
	/** Requests per day by outcome (the error rate is every outcome but ok and cancelled). */
	byDayOutcome: UsageGroup[];
	/** Members with the most requests (e-mail for the account id; removed accounts as such). */
	topMembers: (UsageGroup & { email: string })[];
	/** The newest revisions: members on each now, and the requests sent under it. */
	revisions: { revision: number; membersOn: number; requests: number; failed: number; createdAt: number; createdBy: string }[];
	models: string[];
}

/** Outcomes that are not failures of the endpoint or the client. */
export const NOT_FAILED = new Set(['ok', 'cancelled']);

/**
 * Usage members' extensions report, kept as hourly sums per member: ingest (checked beyond the
 * schema against the clock and the organization's revisions) and the aggregates admins read.
 */
export class UsageService {
	constructor(
		private readonly store: Pick<Store, 'usage' | 'listRevisions' | 'listUsers' | 'getUser' | 'groups'>,
		private readonly policies: Pick<PolicyService, 'current'>,
		private readonly documentFor: MemberDocumentOf,
		private readonly clock: Clock,
		private readonly counted: (counts: IngestedCounts) => void = () => undefined,
	) {}

	async ingest(orgId: string, userId: string, report: UsageReport): Promise<IngestResult> {
		const now = this.clock.now();
		const current = await this.policies.current(orgId);
		const newest = current?.revision ?? 0;
		const errors: FieldError[] = [];
		report.buckets.forEach((bucket, index) => {
			const hour = Date.parse(bucket.hour);
			if (hour > now + HOUR_MS) {
				errors.push({ path: `buckets[${index}].hour`, message: 'is in the future' });
			} else if (hour < now - USAGE_LIMITS.maxAgeDays * DAY_MS) {
				errors.push({ path: `buckets[${index}].hour`, message: `is more than ${USAGE_LIMITS.maxAgeDays} days ago` });
			}
			if (bucket.revision > newest) {
				errors.push({ path: `buckets[${index}].revision`, message: `does not exist (the newest revision is ${newest})` });
			}
		});
		if (errors.length) {
			return { ok: false, errors };
		}
		const result = await this.store.usage.recordReport({
			orgId,
			userId,
			batchId: report.batchId,
			receivedAt: now,
			droppedRequests: report.droppedRequests,
			buckets: report.buckets,
		});
		if (result === 'recorded') {
			// The service's own totals are labelled by model only for the policy's models: a report
			// may name any model, and a metric label must stay bounded.
			const allowed = new Set(current?.signed.policy.provider?.models?.allowed ?? []);
			for (const bucket of report.buckets) {
				this.counted({ ...bucket, model: allowed.has(bucket.model) ? bucket.model : 'other' });
			}
		}
		return { ok: true, duplicate: result === 'duplicate' };
	}

	aggregate(orgId: string, filter: UsageFilter, by: readonly UsageDimension[]): Promise<UsageGroup[]> {
		return this.store.usage.aggregate(orgId, filter, by);
	}

	/** The period's numbers behind every chart of the Usage page. */
	async summary(orgId: string, filter: UsageFilter, topCount = 10): Promise<UsageSummary> {
		const [totals, byDayModel, byDayOutcome, byUser, byRevision, models, droppedRequests, users, revisions] = await Promise.all([
			this.store.usage.aggregate(orgId, filter, []),
			this.store.usage.aggregate(orgId, filter, ['day', 'model']),
			this.store.usage.aggregate(orgId, filter, ['day', 'outcome']),
			this.store.usage.aggregate(orgId, filter, ['user']),
			this.store.usage.aggregate(orgId, filter, ['revision', 'outcome']),
			this.store.usage.aggregate(orgId, { from: filter.from, to: filter.to }, ['model']),
			this.store.usage.droppedRequests(orgId, filter),
			this.store.listUsers(orgId),
			this.store.listRevisions(orgId, 10),
		]);
		const emailOf = new Map(users.map((user) => [user.id, user.email]));
		const byDay = (a: UsageGroup, b: UsageGroup) =>
			(a.day ?? 0) - (b.day ?? 0) || String(a.model ?? a.outcome).localeCompare(String(b.model ?? b.outcome));
		return {
			from: filter.from,
			to: filter.to,
			totals: totals[0] ?? emptyTotals(),
			droppedRequests,
			byDayModel: byDayModel.sort(byDay),
			byDayOutcome: byDayOutcome.sort(byDay),
			topMembers: byUser.slice(0, topCount).map((group) => ({ ...group, email: emailOf.get(group.user ?? '') ?? '(removed member)' })),
			revisions: revisions.map((revision) => {
				const under = byRevision.filter((group) => group.revision === revision.revision);
				return {
					revision: revision.revision,
					membersOn: users.filter((user) => user.appliedRevision === revision.revision).length,
					requests: under.reduce((sum, group) => sum + group.requests, 0),
					failed: under.filter((group) => !NOT_FAILED.has(group.outcome ?? '')).reduce((sum, group) => sum + group.requests, 0),
					createdAt: revision.createdAt,
					createdBy: revision.createdBy,
				};
			}),
			models: models.map((group) => group.model ?? '').sort(),
		};
	}

	/** A member's tokens this month against their allowance: their own where an admin set one, else their groups' overlay's, else the policy's. */
	async standing(orgId: string, userId: string): Promise<UsageStanding> {
		const { from, to, month } = monthOf(this.clock.now());
		const [used, overrides, groups] = await Promise.all([
			this.store.usage.aggregate(orgId, { from, to, userId }, []),
			this.store.usage.listBudgetOverrides(orgId),
			this.store.groups.groupsOf(userId),
		]);
		// Their groups' overlay's budget, on their side of any rollout.
		const document = await this.documentFor(
			{ id: userId, orgId },
			groups.map((group) => group.displayName),
		);
		const budget = document?.usage?.budget;
		const own = overrides.find((override) => override.userId === userId)?.monthlyTokens;
		return {
			month,
			resetsAt: new Date(to).toISOString(),
			usedTokens: (used[0]?.inputTokens ?? 0) + (used[0]?.outputTokens ?? 0),
			allowance: budget ? (own ?? budget.monthlyTokens) : null,
			enforcement: budget?.enforcement ?? null,
		};
	}

	/** Sets one member's own allowance (null: the policy's again); false when the account is not in the organization. */
	async setBudget(orgId: string, userId: string, monthlyTokens: number | null, by: string): Promise<boolean> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			return false;
		}
		await this.store.usage.setBudgetOverride(
			monthlyTokens === null
				? { orgId, userId, monthlyTokens }
				: { orgId, userId, monthlyTokens, updatedAt: this.clock.now(), updatedBy: by },
		);
		return true;
	}

	/** Deletes what is older than the retention; returns how many rows went. */
	purge(retentionDays: number): Promise<number> {
		return this.store.usage.purgeUsage(this.clock.now() - retentionDays * DAY_MS);
	}
}

export function emptyTotals(): UsageTotals {
	return {
		requests: 0,
		inputTokens: 0,
		outputTokens: 0,
		cachedTokens: 0,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 0,
		firstTokenMs: 0,
		durationMs: 0,
	};
}
