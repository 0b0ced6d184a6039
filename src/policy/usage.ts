import * as z from 'zod';

/**
 * Usage counted at the source: what the extension reports about its members' requests and what
 * the service keeps. Counts only — model, API, caller, tokens, timings, outcome, revision —
 * never prompts, answers, tool arguments, file or workspace names. The report has no field for the
 * member: the service takes the member from the token the report is sent with.
 */

/** How a request failed, as the client tells members (`src/client/request-error.ts`). */
export const FAILURE_KINDS = [
	'unreachable',
	'timeout',
	'tls',
	'key-rejected',
	/** The endpoint (its gateway) refused the organization token the service issued. */
	'token-rejected',
	'missing-key',
	'azure-role',
	'forbidden',
	'not-found',
	'rate-limited',
	'server-error',
	'bad-response',
	'unsupported-parameter',
	/** The model is served only by another API than the policy names (codex models and Chat Completions). */
	'wrong-api',
	'truncated',
	'content-filtered',
	'incomplete',
	'sign-in',
	'interrupted',
	'proxy',
	/** The member's monthly token allowance is used up (a hard budget). */
	'budget',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** A request's outcome: answered, stopped by the member, one of the failure kinds (a budget refusal included), or a failure of no known kind. */
export const USAGE_OUTCOMES = ['ok', 'cancelled', 'other', ...FAILURE_KINDS] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/** Who asked: our chat view, or any extension through the Language Model API (VS Code does not say which). */
export const USAGE_CALLERS = ['chat-view', 'language-model'] as const;
export type UsageCaller = (typeof USAGE_CALLERS)[number];

export const USAGE_APIS = ['chat-completions', 'responses'] as const;

/**
 * A monthly token allowance (input and output tokens, per calendar month in UTC) for each member;
 * the service may raise or lower it for one member. Soft: members are told at 80% and 100%. Hard:
 * at 100% requests are refused until the next month or until an admin raises it.
 */
export const BudgetSchema = z.strictObject({
	monthlyTokens: z.int('must be a whole number').min(1, 'must be at least 1').max(1e12, 'must be at most 1,000,000,000,000'),
	enforcement: z.enum(['soft', 'hard'], 'must be "soft" or "hard"'),
});
export type Budget = z.infer<typeof BudgetSchema>;

/** What the policy lets the extension report: nothing, or the counts above (absent means off), and the budget measured from them. */
export const UsageSettingsSchema = z
	.strictObject({
		reporting: z.enum(['off', 'counts'], 'must be "off" or "counts"'),
		budget: BudgetSchema.optional(),
	})
	.refine((usage) => !usage.budget || usage.reporting === 'counts', {
		path: ['budget'],
		message: 'needs usage reporting ("counts"): a budget is measured from what members report',
	});
export type UsageSettings = z.infer<typeof UsageSettingsSchema>;

export const USAGE_LIMITS = {
	/** Buckets in one report: a day of one member's hourly buckets across a few models fits easily. */
	bucketsPerReport: 500,
	/** Requests in one bucket, and tokens in one bucket: far above one member's hour. */
	requestsPerBucket: 1_000_000,
	tokensPerBucket: 10_000_000_000,
	/** Milliseconds summed in one bucket (a million requests of ten minutes each). */
	millisecondsPerBucket: 600_000_000_000,
	/** How far back a report may reach: queued reports older than this are not accepted. */
	maxAgeDays: 31,
} as const;

const HOUR_MS = 3_600_000;

/** The start of the hour `at` falls in, as the ISO string buckets are keyed by. */
export function hourOf(at: number): string {
	return new Date(Math.floor(at / HOUR_MS) * HOUR_MS).toISOString();
}

const count = (max: number) => z.int('must be a whole number').min(0, 'must be 0 or more').max(max, `must be at most ${max}`);

/** One hour of one member's requests to one model through one API and caller, with one outcome, under one revision. */
export const UsageBucketSchema = z
	.strictObject({
		hour: z.iso
			.datetime({ error: 'must be an ISO 8601 date-time in UTC' })
			.refine((value) => Date.parse(value) % HOUR_MS === 0, 'must be the start of an hour'),
		model: z
			.string('must be a string')
			.min(1, 'must not be empty')
			.max(200, 'must be at most 200 characters')
			// eslint-disable-next-line no-control-regex
			.regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
		api: z.enum(USAGE_APIS, `must be one of ${USAGE_APIS.join(', ')}`),
		caller: z.enum(USAGE_CALLERS, `must be one of ${USAGE_CALLERS.join(', ')}`),
		outcome: z.enum(USAGE_OUTCOMES, 'must be a known outcome (ok, cancelled, budget, other or a failure kind)'),
		/** The policy revision in force when the requests were sent. */
		revision: z.int('must be a whole number').min(1, 'must be at least 1'),
		requests: count(USAGE_LIMITS.requestsPerBucket).min(1, 'must be at least 1'),
		inputTokens: count(USAGE_LIMITS.tokensPerBucket),
		outputTokens: count(USAGE_LIMITS.tokensPerBucket),
		cachedTokens: count(USAGE_LIMITS.tokensPerBucket),
		reasoningTokens: count(USAGE_LIMITS.tokensPerBucket),
		/** Requests whose tokens the endpoint did not report: counted with the tokenizer instead. */
		estimatedRequests: count(USAGE_LIMITS.requestsPerBucket),
		/** Requests that brought a first token, and the sum of their times to it. */
		firstTokenRequests: count(USAGE_LIMITS.requestsPerBucket),
		firstTokenMs: count(USAGE_LIMITS.millisecondsPerBucket),
		durationMs: count(USAGE_LIMITS.millisecondsPerBucket),
	})
	.superRefine((bucket, ctx) => {
		for (const field of ['estimatedRequests', 'firstTokenRequests'] as const) {
			if (bucket[field] > bucket.requests) {
				ctx.addIssue({ code: 'custom', path: [field], message: 'must not exceed requests' });
			}
		}
	});
export type UsageBucket = z.infer<typeof UsageBucketSchema>;

/** One report: an id the service counts once, the buckets, and what the member's queue had to drop. */
export const UsageReportSchema = z.strictObject({
	batchId: z.uuid('must be a UUID'),
	buckets: z
		.array(UsageBucketSchema, 'must be an array')
		.max(USAGE_LIMITS.bucketsPerReport, `must hold at most ${USAGE_LIMITS.bucketsPerReport} buckets`),
	/** Requests counted but dropped from a full queue before they could be reported (themselves reported). */
	droppedRequests: count(USAGE_LIMITS.requestsPerBucket),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** The numbers of a bucket, which add up when buckets with the same key meet. */
export const BUCKET_SUMS = [
	'requests',
	'inputTokens',
	'outputTokens',
	'cachedTokens',
	'reasoningTokens',
	'estimatedRequests',
	'firstTokenRequests',
	'firstTokenMs',
	'durationMs',
] as const;

/** What makes two buckets the same bucket. */
export function bucketKey(bucket: Pick<UsageBucket, 'hour' | 'model' | 'api' | 'caller' | 'outcome' | 'revision'>): string {
	return JSON.stringify([bucket.hour, bucket.model, bucket.api, bucket.caller, bucket.outcome, bucket.revision]);
}

/** A member's standing against their allowance this month, as the service counts it. */
export const UsageStandingSchema = z.strictObject({
	/** The month counted (UTC), its first instant and when the next one starts (ISO). */
	month: z.string(),
	resetsAt: z.string(),
	/** Input and output tokens reported this month. */
	usedTokens: z.int().min(0),
	/** The member's allowance (their own where an admin set one, else the policy's), or null without a budget. */
	allowance: z.int().min(1).nullable(),
	enforcement: z.enum(['soft', 'hard']).nullable(),
});
export type UsageStanding = z.infer<typeof UsageStandingSchema>;

/** The first instant of the UTC month `at` falls in, and of the next. */
export function monthOf(at: number): { from: number; to: number; month: string } {
	const date = new Date(at);
	const from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
	const to = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
	return { from, to, month: new Date(from).toISOString().slice(0, 7) };
}
