import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { UsageBucket } from '../../policy';
import { USAGE_SUM_COLUMNS, type Tables, type UsageSumColumn } from './tables';
import { DAY_MS } from '../clock';

/** The sums of any set of buckets. */
export interface UsageTotals {
	requests: number;
	inputTokens: number;
	outputTokens: number;
	cachedTokens: number;
	reasoningTokens: number;
	estimatedRequests: number;
	firstTokenRequests: number;
	firstTokenMs: number;
	durationMs: number;
}

/** What aggregates may be grouped by; `day` and `hour` are the start of each, in ms (UTC). */
export const USAGE_DIMENSIONS = ['day', 'hour', 'model', 'api', 'caller', 'outcome', 'revision', 'user'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

export interface UsageGroup extends UsageTotals {
	day?: number;
	hour?: number;
	model?: string;
	api?: string;
	caller?: string;
	outcome?: string;
	revision?: number;
	/** The member's account id. */
	user?: string;
}

/** Which buckets count: hours in [from, to), optionally one model and one member. */
export interface UsageFilter {
	from: number;
	to: number;
	model?: string | undefined;
	userId?: string | undefined;
}

export interface UsageReportEntry {
	orgId: string;
	userId: string;
	batchId: string;
	receivedAt: number;
	droppedRequests: number;
	buckets: readonly UsageBucket[];
}

/** Usage kept by the service: hourly sums, and the report ids already counted. */
export interface UsageStore {
	/** Adds a report's buckets to the sums, in one transaction; nothing when this member's report id was counted before. */
	recordReport(entry: UsageReportEntry): Promise<'recorded' | 'duplicate'>;
	/** The sums grouped by the dimensions asked for (none: one row of totals), largest request count first. */
	aggregate(orgId: string, filter: UsageFilter, by: readonly UsageDimension[]): Promise<UsageGroup[]>;
	/** Requests members' queues had to drop, reported in [from, to). */
	droppedRequests(orgId: string, filter: Pick<UsageFilter, 'from' | 'to' | 'userId'>): Promise<number>;
	/** Deletes buckets and report ids older than `before`; returns how many rows went. */
	purgeUsage(before: number): Promise<number>;
	/** Sets (or, with null, removes) one member's own monthly token allowance. */
	setBudgetOverride(override: BudgetOverride | { orgId: string; userId: string; monthlyTokens: null }): Promise<void>;
	listBudgetOverrides(orgId: string): Promise<BudgetOverride[]>;
}

/** A member's own monthly allowance, set by an admin apart from the policy's. */
export interface BudgetOverride {
	orgId: string;
	userId: string;
	monthlyTokens: number;
	updatedAt: number;
	updatedBy: string;
}

const FIELD_OF: Record<UsageSumColumn, keyof UsageTotals> = {
	requests: 'requests',
	input_tokens: 'inputTokens',
	output_tokens: 'outputTokens',
	cached_tokens: 'cachedTokens',
	reasoning_tokens: 'reasoningTokens',
	estimated_requests: 'estimatedRequests',
	first_token_requests: 'firstTokenRequests',
	first_token_ms: 'firstTokenMs',
	duration_ms: 'durationMs',
};

/** Each dimension as a column expression; both databases divide integers as integers. */
const DIMENSION_SQL: Record<UsageDimension, RawBuilder<unknown>> = {
	day: sql`(hour / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`,
	hour: sql.ref('hour'),
	model: sql.ref('model'),
	api: sql.ref('api'),
	caller: sql.ref('caller'),
	outcome: sql.ref('outcome'),
	revision: sql.ref('revision'),
	user: sql.ref('user_id'),
};

export class SqlUsageStore implements UsageStore {
	constructor(private readonly db: Kysely<Tables>) {}

	async recordReport(entry: UsageReportEntry): Promise<'recorded' | 'duplicate'> {
		return this.db.transaction().execute(async (trx) => {
			const inserted = await trx
				.insertInto('usage_batches')
				.values({
					user_id: entry.userId,
					batch_id: entry.batchId,
					org_id: entry.orgId,
					received_at: entry.receivedAt,
					dropped_requests: entry.droppedRequests,
				})
				.onConflict((conflict) => conflict.columns(['user_id', 'batch_id']).doNothing())
				.executeTakeFirst();
			if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
				return 'duplicate';
			}
			for (const bucket of entry.buckets) {
				const sums = Object.fromEntries(USAGE_SUM_COLUMNS.map((column) => [column, bucket[FIELD_OF[column]]])) as Record<
					UsageSumColumn,
					number
				>;
				await trx
					.insertInto('usage_hourly')
					.values({
						org_id: entry.orgId,
						user_id: entry.userId,
						hour: Date.parse(bucket.hour),
						model: bucket.model,
						api: bucket.api,
						caller: bucket.caller,
						outcome: bucket.outcome,
						revision: bucket.revision,
						...sums,
					})
					.onConflict((conflict) =>
						conflict
							.columns(['org_id', 'hour', 'user_id', 'model', 'api', 'caller', 'outcome', 'revision'])
							.doUpdateSet(
								Object.fromEntries(
									USAGE_SUM_COLUMNS.map((column) => [column, sql`${sql.ref(`usage_hourly.${column}`)} + ${sql.ref(`excluded.${column}`)}`]),
								),
							),
					)
					.execute();
			}
			return 'recorded';
		});
	}

	async aggregate(orgId: string, filter: UsageFilter, by: readonly UsageDimension[]): Promise<UsageGroup[]> {
		let query = this.db
			.selectFrom('usage_hourly')
			.where('org_id', '=', orgId)
			.where('hour', '>=', filter.from)
			.where('hour', '<', filter.to);
		if (filter.model !== undefined) {
			query = query.where('model', '=', filter.model);
		}
		if (filter.userId !== undefined) {
			query = query.where('user_id', '=', filter.userId);
		}
		const selected = query.select([
			...by.map((dimension) => DIMENSION_SQL[dimension].as(dimension)),
			// sum() of BIGINT is NUMERIC on PostgreSQL: cast back so it reads as a number on both.
			...USAGE_SUM_COLUMNS.map((column) => sql<number>`cast(coalesce(sum(${sql.ref(column)}), 0) as bigint)`.as(FIELD_OF[column])),
		]);
		const grouped = by.length ? selected.groupBy(by.map((dimension) => DIMENSION_SQL[dimension])) : selected;
		const rows = (await grouped.orderBy(sql`${sql.ref('requests')}`, 'desc').execute()) as Record<string, unknown>[];
		return rows.map((row) => {
			const group: Record<string, unknown> = {};
			for (const [name, value] of Object.entries(row)) {
				// Numbers from either database (PostgreSQL's BIGINT parser, SQLite's integers); the text dimensions as they are.
				group[name] = typeof value === 'bigint' || (typeof value === 'string' && isNumeric(name)) ? Number(value) : value;
			}
			return group as unknown as UsageGroup;
		});
	}

	async droppedRequests(orgId: string, filter: Pick<UsageFilter, 'from' | 'to' | 'userId'>): Promise<number> {
		let query = this.db
			.selectFrom('usage_batches')
			.where('org_id', '=', orgId)
			.where('received_at', '>=', filter.from)
			.where('received_at', '<', filter.to);
		if (filter.userId !== undefined) {
			query = query.where('user_id', '=', filter.userId);
		}
		const row = await query.select(sql<number>`cast(coalesce(sum(dropped_requests), 0) as bigint)`.as('dropped')).executeTakeFirst();
		return Number(row?.dropped ?? 0);
	}

	async setBudgetOverride(override: BudgetOverride | { orgId: string; userId: string; monthlyTokens: null }): Promise<void> {
		if (override.monthlyTokens === null) {
			await this.db
				.deleteFrom('usage_budget_overrides')
				.where('user_id', '=', override.userId)
				.where('org_id', '=', override.orgId)
				.execute();
			return;
		}
		const row = budgetRow(override);
		await this.db
			.insertInto('usage_budget_overrides')
			.values(row)
			.onConflict((conflict) =>
				conflict
					.column('user_id')
					.doUpdateSet({ monthly_tokens: row.monthly_tokens, updated_at: row.updated_at, updated_by: row.updated_by }),
			)
			.execute();
	}

	async listBudgetOverrides(orgId: string): Promise<BudgetOverride[]> {
		const rows = await this.db.selectFrom('usage_budget_overrides').selectAll().where('org_id', '=', orgId).execute();
		return rows.map((row) => ({
			orgId: row.org_id,
			userId: row.user_id,
			monthlyTokens: Number(row.monthly_tokens),
			updatedAt: Number(row.updated_at),
			updatedBy: row.updated_by,
		}));
	}

	async purgeUsage(before: number): Promise<number> {
		const buckets = await this.db.deleteFrom('usage_hourly').where('hour', '<', before).executeTakeFirst();
		const batches = await this.db.deleteFrom('usage_batches').where('received_at', '<', before).executeTakeFirst();
		return Number(buckets.numDeletedRows) + Number(batches.numDeletedRows);
	}
}

function budgetRow(override: BudgetOverride) {
	return {
		user_id: override.userId,
		org_id: override.orgId,
		monthly_tokens: override.monthlyTokens,
		updated_at: override.updatedAt,
		updated_by: override.updatedBy,
	};
}

function isNumeric(name: string): boolean {
	return name === 'day' || name === 'hour' || name === 'revision' || Object.values(FIELD_OF).includes(name as keyof UsageTotals);
}
