import * as vscode from 'vscode';
import type { PolicyDocument, UsageBucket } from '../../policy';
import { Disposable } from '../base/disposable';
import type { UsageLedger } from '../usage/usage-ledger';
import type { UsageReporter } from '../usage/usage-reporter';
import type { EffectiveStateEvents } from '../provider/effective-state';

const REPORTED_USAGE_URI = vscode.Uri.parse('org-provider-policy-usage:/Reported%20Usage.md');

/** The README's promise, repeated where the member looks: what a report holds and what it never does. */
const WHAT_IS_SENT = [
	'Each report holds, per hour: the model, the API (Chat Completions or Responses), the caller (this extension’s chat view or the Language Model API — VS Code does not say which extension), how requests ended (answered, stopped, or the kind of failure), the policy revision in force, the number of requests, input / output / cached / reasoning tokens (counted on this machine, and marked so, where the endpoint reports none), and the summed time to first token and total time.',
	'Never sent: prompts, answers, tool names or arguments, file names, workspace names.',
];

function bucketLine(bucket: UsageBucket): string {
	const firstToken = bucket.firstTokenRequests ? `${Math.round(bucket.firstTokenMs / bucket.firstTokenRequests)} ms` : '—';
	return `| ${bucket.hour.slice(0, 13).replace('T', ' ')}:00 | ${bucket.model} | ${bucket.api} | ${bucket.caller} | ${bucket.outcome} | ${bucket.revision} | ${bucket.requests} | ${bucket.inputTokens} | ${bucket.outputTokens}${bucket.estimatedRequests ? ` (${bucket.estimatedRequests} estimated here: the endpoint sent no counts)` : ''} | ${firstToken} |`;
}

/**
 * Usage reporting as the member meets it: *Show Reported Usage* (what was counted, what waits to
 * be sent and what the service took — the member can always see what is reported about them) and
 * *Send Usage Report Now*. Counting itself happens on the request path (`UsageMeter`).
 */
export class UsageFeature extends Disposable implements vscode.TextDocumentContentProvider {
	private readonly documentChanged = this._register(new vscode.EventEmitter<vscode.Uri>());
	readonly onDidChange = this.documentChanged.event;

	constructor(
		private readonly ledger: UsageLedger,
		private readonly reporter: UsageReporter,
		private readonly policy: () => PolicyDocument | undefined,
		effective: Pick<EffectiveStateEvents, 'onDidChange'>,
	) {
		super();
		// A changed policy may change the budget: the standing is asked for again at once.
		let revision: number | undefined;
		this._register(
			effective.onDidChange(({ sync }) => {
				const now = sync.policy?.document.revision;
				if (now !== revision) {
					revision = now;
					void this.reporter.refreshStanding();
				}
			}),
		);
		this._register(vscode.workspace.registerTextDocumentContentProvider(REPORTED_USAGE_URI.scheme, this));
		this._register(
			vscode.commands.registerCommand('orgProviderPolicy.showReportedUsage', async () => {
				this.documentChanged.fire(REPORTED_USAGE_URI);
				await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(REPORTED_USAGE_URI), { preview: true });
			}),
		);
		this._register(
			vscode.commands.registerCommand('orgProviderPolicy.sendUsageReport', async () => {
				const sent = await this.reporter.sendNow();
				this.documentChanged.fire(REPORTED_USAGE_URI);
				return sent;
			}),
		);
		// What this window counted is sealed and reaches global state before the host stops; the next window sends it.
		this._register({ dispose: () => void this.ledger.close() });
		reporter.start();
	}

	provideTextDocumentContent(): string {
		const document = this.policy();
		const lines = ['# Usage reported to your organization', ''];
		if (!document) {
			return [...lines, 'No organization policy is applied: nothing is counted or reported.', ''].join('\n');
		}
		const on = document.usage?.reporting === 'counts';
		lines.push(
			on
				? `${document.organization.name}'s policy (revision ${document.revision}) asks for usage counts: they are sent about once a minute.`
				: `${document.organization.name}'s policy does not ask for usage: nothing is counted or sent.`,
			'',
			...WHAT_IS_SENT.flatMap((line) => [line, '']),
		);
		const view = this.ledger.view(document.organization.id);
		const waiting = [...view.pending.flatMap((report) => report.buckets), ...view.open];
		lines.push('## Counted, not sent yet', '');
		if (waiting.length) {
			lines.push(
				'| hour (UTC) | model | API | caller | outcome | revision | requests | input tokens | output tokens | time to first token |',
				'| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
				...waiting.map(bucketLine),
			);
		} else {
			lines.push('Nothing.');
		}
		lines.push('');
		if (view.droppedRequests) {
			lines.push(
				`${view.droppedRequests} request${view.droppedRequests === 1 ? ' was' : 's were'} made while the store of unsent counts was full (or a report was refused): only how many is reported, as *Requests not counted* on the console's Usage page.`,
				'',
			);
		}
		lines.push('## Sent', '');
		lines.push(
			...(view.sent.length
				? view.sent.map(
						(sent) =>
							`- ${new Date(sent.at).toISOString()}: ${sent.requests} request${sent.requests === 1 ? '' : 's'} in ${sent.buckets} hourly bucket${sent.buckets === 1 ? '' : 's'} (report ${sent.batchId})`,
					)
				: ['Nothing yet.']),
			'',
		);
		return lines.join('\n');
	}
}
