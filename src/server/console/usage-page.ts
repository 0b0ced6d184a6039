import type { FieldError } from '../../policy';
import type { UsageGroup } from '../store/usage-store';
import { dayOf } from '../usage/usage-query';
import { NOT_FAILED, type UsageSummary } from '../usage/usage-service';
import { html, jsonForScript, type SafeHtml } from './html';
import { invalidField, notUsedNotice } from './not-used';
import { DAY_MS } from '../clock';

export interface UsagePageState {
	summary: UsageSummary;
	/** The filter as asked (dates as YYYY-MM-DD; the last day included). */
	query: { from: string; to: string; model: string; member: string };
	/** Whether the policy in force asks members' extensions for usage. */
	reporting: boolean;
	/** Fields of the address that were not used, and why (the page shows what applies instead). */
	problems?: readonly FieldError[];
}

/** The filter's labels, by the field a problem names. */
const FILTER_LABELS: Readonly<Record<string, string>> = { from: 'From', to: 'To', model: 'Model', member: 'Member' };

const number = (value: number) => value.toLocaleString('en-US');
const percent = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '—');

/**
 * What the two less obvious totals mean, said in words where they are not zero (a tooltip reaches
 * neither the keyboard nor a phone).
 */
function totalsNotes(estimated: number, uncounted: number): SafeHtml {
	const notes = [
		estimated
			? "Token counts estimated: the endpoint's answer carried no token counts, so the member's extension estimated them from the text."
			: '',
		uncounted
			? "Requests not counted: members' extensions could not deliver their counts (the store of unsent counts filled up during a long time offline, or this service refused a report); only how many is known."
			: '',
	].filter(Boolean);
	return notes.length ? html`<p class="muted" id="usage-totals-notes">${notes.join(' ')}</p>` : html``;
}

/** Each day of the period, so days without requests show as zero rather than vanish. */
function daysOf(summary: UsageSummary): string[] {
	const days: string[] = [];
	for (let at = summary.from; at < summary.to; at += DAY_MS) {
		days.push(dayOf(at));
	}
	return days;
}

/** A chart's numbers per day and series: what the script draws and what the table beside it lists. */
function series(groups: UsageGroup[], days: string[], key: 'model' | 'outcome', value: (group: UsageGroup) => number) {
	const names = [...new Set(groups.map((group) => String(group[key])))].sort();
	return names.map((name) => ({
		name,
		values: days.map((day) =>
			groups.filter((group) => dayOf(group.day ?? 0) === day && String(group[key]) === name).reduce((sum, group) => sum + value(group), 0),
		),
	}));
}

function dataTable(caption: string, days: string[], rows: { name: string; values: number[] }[], unit: string): SafeHtml {
	const shown = days.map((day, index) => ({ day, index })).filter(({ index }) => rows.some((row) => row.values[index]));
	return html`<details class="chart-data"><summary>${caption} as a table</summary>
		<table><thead><tr><th scope="col">Day (UTC)</th>${rows.map((row) => html`<th scope="col">${row.name}</th>`)}</tr></thead>
		<tbody>${
			shown.length
				? shown.map(
						({ day, index }) =>
							html`<tr><th scope="row">${day}</th>${rows.map((row) => html`<td class="number">${number(row.values[index] ?? 0)}</td>`)}</tr>`,
					)
				: html`<tr><td colspan="${rows.length + 1}">No ${unit} in this period.</td></tr>`
		}</tbody></table></details>`;
}

/** The Usage page: what members' requests did, by model, outcome, member and revision. */
export function usagePage(state: UsagePageState): SafeHtml {
	const { summary, query } = state;
	const days = daysOf(summary);
	const tokens = series(summary.byDayModel, days, 'model', (group) => group.inputTokens + group.outputTokens);
	const outcomes = series(summary.byDayOutcome, days, 'outcome', (group) => group.requests);
	const failed = summary.byDayOutcome
		.filter((group) => !NOT_FAILED.has(group.outcome ?? ''))
		.reduce((sum, group) => sum + group.requests, 0);
	const { totals } = summary;
	const invalid = (field: string) => invalidField(state.problems, field);
	const csv = new URLSearchParams({
		from: query.from,
		to: query.to,
		...(query.model ? { model: query.model } : {}),
		...(query.member ? { member: query.member } : {}),
	});
	return html`<section class="card">
		<header class="card-header"><h1>Usage</h1>
		<p class="muted">Counted by members' extensions at the source and reported hourly sums: no prompts, answers or file names ever reach this service.</p></header>
		${state.reporting ? '' : html`<p class="status error" id="reporting-off">Usage reporting is off in the policy: members' extensions count and send nothing. Turn it on under Settings → Usage reporting.</p>`}
		${notUsedNotice('usage-problems', state.problems ?? [], FILTER_LABELS, 'Shown instead: what the form below says.')}
		<form class="usage-filter filters" method="get" action="/console/usage">
			<label>From <input type="date" name="from" value="${query.from}" aria-invalid="${invalid('from')}"></label>
			<label>To <input type="date" name="to" value="${query.to}" aria-invalid="${invalid('to')}"></label>
			<label>Model <select name="model"><option value="">All models</option>${summary.models.map((model) => html`<option ${model === query.model ? 'selected' : ''}>${model}</option>`)}</select></label>
			<label>Member <input type="email" name="member" value="${query.member}" placeholder="All members" aria-invalid="${invalid('member')}"></label>
			<button type="submit">Show</button>
			<a class="button" id="usage-csv" href="/api/v1/admin/usage.csv?${csv.toString()}&amp;groupBy=day,model,member,outcome" download>Export CSV</a>
		</form>
		<dl class="usage-totals" id="usage-totals">
			<div><dt>Requests</dt><dd id="total-requests">${number(totals.requests)}</dd></div>
			<div><dt>Failed</dt><dd id="total-failed">${number(failed)} (${percent(failed, totals.requests)})</dd></div>
			<div><dt>Input tokens</dt><dd id="total-input">${number(totals.inputTokens)}</dd></div>
			<div><dt>Output tokens</dt><dd id="total-output">${number(totals.outputTokens)}</dd></div>
			<div><dt>Mean time to first token</dt><dd>${totals.firstTokenRequests ? `${Math.round(totals.firstTokenMs / totals.firstTokenRequests)} ms` : '—'}</dd></div>
			<div><dt>Token counts estimated</dt><dd id="total-estimated">${number(totals.estimatedRequests)} (${percent(totals.estimatedRequests, totals.requests)})</dd></div>
			${summary.droppedRequests ? html`<div><dt>Requests not counted</dt><dd id="total-uncounted">${number(summary.droppedRequests)}</dd></div>` : ''}
		</dl>
		${totalsNotes(totals.estimatedRequests, summary.droppedRequests)}
	</section>
	<section class="card"><h2>Tokens per day by model</h2>
		<canvas id="chart-tokens" role="img" aria-label="Tokens per day by model; the numbers are in the table below"></canvas>
		${dataTable('Tokens per day by model', days, tokens, 'tokens')}
	</section>
	<section class="card"><h2>Requests per day by outcome</h2>
		<canvas id="chart-outcomes" role="img" aria-label="Requests per day by outcome; the numbers are in the table below"></canvas>
		${dataTable('Requests per day by outcome', days, outcomes, 'requests')}
	</section>
	<section class="card"><h2>Revisions</h2>
		<p class="hint">Requests sent under each recent revision: a change that broke members shows here as a jump in the error rate.</p>
		<table id="usage-revisions"><thead><tr><th scope="col">Revision</th><th scope="col">Saved</th><th scope="col">Members on it now</th><th scope="col">Requests</th><th scope="col">Failed</th></tr></thead>
		<tbody>${summary.revisions.map(
			(revision) =>
				html`<tr class="${revision.failed * 5 > revision.requests && revision.requests ? 'alarm' : ''}"><th scope="row">${revision.revision}</th><td>${revision.createdBy}, <time datetime="${new Date(revision.createdAt).toISOString()}">${new Date(revision.createdAt).toISOString()}</time></td><td class="number">${revision.membersOn}</td><td class="number">${number(revision.requests)}</td><td class="number">${number(revision.failed)} (${percent(revision.failed, revision.requests)})</td></tr>`,
		)}</tbody></table>
	</section>
	<section class="card"><h2>Top members</h2>
		<table id="usage-members"><thead><tr><th scope="col">Member</th><th scope="col">Requests</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th></tr></thead>
		<tbody>${
			summary.topMembers.length
				? summary.topMembers.map(
						(member) =>
							html`<tr><th scope="row">${member.email}</th><td class="number">${number(member.requests)}</td><td class="number">${number(member.inputTokens)}</td><td class="number">${number(member.outputTokens)}</td></tr>`,
					)
				: html`<tr><td colspan="4">No requests in this period.</td></tr>`
		}</tbody></table>
	</section>
	<script type="application/json" id="usage-data">${jsonForScript({ days, tokens, outcomes })}</script>`;
}
