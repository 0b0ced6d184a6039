import type * as z from 'zod';
import { fieldErrorsOf, type FieldError } from '../../policy';
import { html, type SafeHtml } from './html';

/**
 * A console page's query, read from its address, with the fields that could not be used set aside:
 * the page still opens (a bookmark, a hand-edited or an old link), shows what it can, and names what
 * it dropped. Only the bad fields fall back to their defaults — an admin asking for one member's
 * usage over a mistyped period still gets that member's — and the rest stand. A field the form sent
 * empty (a date cleared, *All models*, every sync state) asks for nothing: it takes its default, and
 * is no problem.
 */
export function queryKeepingGood<Schema extends z.ZodType>(
	schema: Schema,
	raw: unknown,
): { query: z.infer<Schema> | undefined; problems: FieldError[] } {
	const fields: Record<string, unknown> = Object.fromEntries(
		Object.entries(typeof raw === 'object' && raw !== null ? raw : {}).filter(
			([, value]) => !(typeof value === 'string' && value.trim() === ''),
		),
	);
	// The input is reported so a value that did not parse is told from one that is missing.
	const asked = schema.safeParse(fields, { reportInput: true });
	if (asked.success) {
		return { query: asked.data, problems: [] };
	}
	const problems = fieldErrorsOf(asked.error);
	for (const problem of problems) {
		delete fields[problem.path.split(/[.[]/)[0] ?? ''];
	}
	const kept = schema.safeParse(fields);
	return { query: kept.success ? kept.data : undefined, problems };
}

/**
 * What the address asked for that the page did not use, in the words of the form's labels
 * (`labels`, by field), and what it shows instead. Announced (`role="alert"`): the list below
 * answers a different question from the one asked.
 */
export function notUsedNotice(
	id: string,
	problems: readonly FieldError[],
	labels: Readonly<Record<string, string>>,
	instead: string,
): SafeHtml | '' {
	if (problems.length === 0) {
		return '';
	}
	return html`<div class="status error" id="${id}" role="alert">Not used: ${problems.map(
		(problem, index) => html`${index > 0 ? '; ' : ''}${labels[problem.path] ?? problem.path} ${asProse(problem.message)}`,
	)}. ${instead}</div>`;
}

/** The API's messages mark names in backticks (Markdown, as in its OpenAPI text); on a page they are code. */
const asProse = (message: string) => message.split('`').map((part, index) => (index % 2 ? html`<code>${part}</code>` : part));

/** Whether the form's field for `path` shows as invalid (`aria-invalid`). */
export const invalidField = (problems: readonly FieldError[] | undefined, path: string) =>
	String(problems?.some((problem) => problem.path === path) ?? false);
