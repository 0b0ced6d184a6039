import * as z from 'zod';
import { BUCKET_SUMS, type FieldError } from '../../policy';
import { USAGE_DIMENSIONS, type UsageDimension, type UsageFilter, type UsageGroup } from '../store/usage-store';
import { DAY_MS } from '../clock';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

/** The period shown when none is asked for: the last 30 days, today included. */
export const DEFAULT_PERIOD_DAYS = 30;
const MAX_PERIOD_DAYS = 3660;

/** The dimensions as the API names them: `member` is the account, by e-mail. */
const API_DIMENSIONS: readonly string[] = USAGE_DIMENSIONS.map((dimension) => (dimension === 'user' ? 'member' : dimension));

/** A period, a model and a member, as the admin API and the console's Usage page take them. */
export const UsageQuerySchema = z.object({
	from: z.iso.date('must be a date (YYYY-MM-DD)').optional().describe('First day (UTC), default 30 days ago'),
	to: z.iso.date('must be a date (YYYY-MM-DD)').optional().describe('Last day (UTC, included), default today'),
	model: z.string().max(200, 'must be at most 200 characters').optional().describe('Only this model'),
	member: z
		.string()
		.max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
		.optional()
		.describe("Only this member's requests (e-mail)"),
	groupBy: z
		.string()
		.optional()
		.transform((value, ctx) => {
			const names = (value ?? '').split(',').filter(Boolean);
			const unknown = names.filter((name) => !API_DIMENSIONS.includes(name));
			if (unknown.length) {
				ctx.addIssue({
					code: 'custom',
					message: `must be a comma-separated list of ${API_DIMENSIONS.join(', ')} (not ${unknown.join(', ')})`,
				});
				return z.NEVER;
			}
			return names.map((name) => (name === 'member' ? 'user' : name) as UsageDimension);
		})
		.describe(`Comma-separated dimensions: ${API_DIMENSIONS.join(', ')}`),
});
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

/** The period a query asks for, as [from, to) in ms; or why it cannot be read. */
export function periodOf(
	query: Pick<UsageQuery, 'from' | 'to'>,
	now: number,
): { ok: true; value: Pick<UsageFilter, 'from' | 'to'> } | { ok: false; errors: FieldError[] } {
	const today = Math.floor(now / DAY_MS) * DAY_MS;
	const to = (query.to ? Date.parse(query.to) : today) + DAY_MS;
	const from = query.from ? Date.parse(query.from) : to - DEFAULT_PERIOD_DAYS * DAY_MS;
	if (from >= to) {
		return { ok: false, errors: [{ path: 'to', message: 'must not be before from' }] };
	}
	if (to - from > MAX_PERIOD_DAYS * DAY_MS) {
		return { ok: false, errors: [{ path: 'from', message: `must be at most ${MAX_PERIOD_DAYS} days before to` }] };
	}
	return { ok: true, value: { from, to } };
}

/** The day (YYYY-MM-DD) a period's start or a bucket's time falls on. */
export function dayOf(at: number): string {
	return new Date(at).toISOString().slice(0, 10);
}

/** One group as the API and the CSV export show it: times as ISO, the account as its e-mail. */
export function groupView(group: UsageGroup, emailOf: (userId: string) => string): Record<string, string | number> {
	const { day, hour, user, ...rest } = group;
	return {
		...(day !== undefined ? { day: dayOf(day) } : {}),
		...(hour !== undefined ? { hour: new Date(hour).toISOString() } : {}),
		...(user !== undefined ? { member: emailOf(user) } : {}),
		...(rest as Record<string, string | number>),
	};
}

/** RFC 4180 CSV of groups, with the columns in a fixed order; a cell a spreadsheet would run as a formula is quoted harmless. */
export function usageCsv(rows: readonly Record<string, string | number>[], dimensions: readonly string[]): string {
	const columns = [...dimensions, ...BUCKET_SUMS];
	const cell = (value: string | number | undefined) => {
		let text = value === undefined ? '' : String(value);
		if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) {
			text = `'${text}`;
		}
		return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
	};
	return [columns.join(','), ...rows.map((row) => columns.map((column) => cell(row[column])).join(','))].join('\r\n') + '\r\n';
}
