import { isoTime } from '../clock';
import type { AuditEventRecord } from '../store/audit-store';
import type { FieldError } from '../../policy';
import { html, type SafeHtml } from './html';
import { notUsedNotice } from './not-used';

/** The address's fields as the page speaks of them (it has no form: its links set them). */
const ACTIVITY_QUERY_LABELS: Readonly<Record<string, string>> = { before: 'Page', actor: 'Who', action: 'What' };

/** What each audited action is called in the activity list (the code stays in `data-action`). */
const ACTION_LABELS: Readonly<Record<string, string>> = {
	'sign_in.password': 'Password sign-in',
	'sign_in.sso': 'Single sign-on',
	'sign_in.break_glass': 'Break-glass sign-in',
	'device.approved': 'VS Code sign-in approved',
	'device.denied': 'VS Code sign-in denied',
	'member.joined': 'Joined',
	'member.role_changed': 'Role changed',
	'member.signed_out': 'Signed out everywhere',
	'member.sign_in_ended': 'Signed out on one machine',
	'member.password_reset_sent': 'Password reset link made',
	'member.password_reset': 'Password reset',
	'member.password_reset_withdrawn': 'Password reset link withdrawn',
	'account.password_changed': 'Own password changed',
	'member.invitation_withdrawn': 'Invitation withdrawn',
	'usage.budget_set': 'Allowance set',
	'member.added': 'Added',
	'member.invited': 'Invited',
	'member.removed': 'Removed',
	'invitation.accepted': 'Invitation accepted',
	'admin.reset_link': 'Operator’s admin link made',
	'token.refresh_replayed': 'Stolen sign-in stopped (a used refresh token came back)',
	'group.created': 'Group made',
	'group.changed': 'Group changed',
	'group.deleted': 'Group deleted',
	'scim.group_created': 'Group provisioned',
	'scim.group_updated': 'Group updated by the directory',
	'scim.group_deleted': 'Group deleted by the directory',
	'policy.rollout_started': 'Rollout started',
	'policy.rollout_promoted': 'Rollout promoted',
	'policy.rolled_back': 'Rollout rolled back',
	'token_key.rotated': 'Organization token key rotated',
	'sso.test': 'Test sign-in',
	'sso.settings_saved': 'Single sign-on settings saved',
	'admin_token.created': 'API token made',
	'admin_token.revoked': 'API token revoked',
	'scim.token_created': 'SCIM token created',
	'scim.token_revoked': 'Provisioning turned off',
	'scim.user_created': 'Provisioned',
	'scim.user_updated': 'Updated by the directory',
	'scim.user_deactivated': 'Deactivated by the directory',
	'scim.user_reactivated': 'Reactivated by the directory',
	'scim.user_deleted': 'Deleted by the directory',
};

/**
 * What each detail is called in the list; the API and the log keep the codes. Details not named
 * here (from a newer release, say) show their code.
 */
const DETAIL_LABELS: Readonly<Record<string, string>> = {
	activateInMinutes: 'signs after (minutes)',
	as: 'saved as revision',
	breakGlass: 'break-glass admin',
	createdBy: 'made by',
	expiresAt: 'expires',
	clientSecretChanged: 'client secret changed',
	emailed: 'e-mailed',
	endedSignIns: 'sign-ins ended',
	kid: 'key id',
	monthlyTokens: 'monthly tokens',
	passwordReset: 'password reset',
	passwordSignIn: 'password sign-in',
	renamedFrom: 'renamed from',
	restored: 'restored revision',
};

/** A moment as the service records it (`isoTime`): shown in the admin's own time zone, like *When*. */
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const detailValue = (value: string | number | boolean | null) =>
	typeof value === 'boolean'
		? value
			? 'yes'
			: 'no'
		: typeof value === 'string' && ISO_MOMENT.test(value)
			? html`<time datetime="${value}">${value}</time>`
			: String(value);

/** One detail as the admin reads it: its label, yes or no for a flag, a moment in local time. */
const detailItem = ([name, value]: [string, string | number | boolean | null], index: number) =>
	html`${index > 0 ? ' · ' : ''}<span title="${name}">${DETAIL_LABELS[name] ?? name}</span>: <strong>${detailValue(value)}</strong>`;

/** The Activity page's own address, narrowed to one actor when it is, at a page. */
export function activityLink(actor: string | undefined, before?: string): string {
	const query = new URLSearchParams({ ...(actor ? { actor } : {}), ...(before ? { before } : {}) }).toString();
	return `/console/activity${query ? `?${query}` : ''}`;
}

/** The Activity page: what was done, by whom, with what outcome, newest first; or what one actor did. */
export function activityPage(
	events: readonly AuditEventRecord[],
	paging: {
		/** The cursor of the page before, when there is one. */ older?: string | undefined;
		/** Not the newest page. */ paged: boolean;
		/** Only what this actor did (an API token after a leak, say). */ actor?: string | undefined;
	},
	/** What the address asked for that the page did not use. */
	problems: readonly FieldError[] = [],
): SafeHtml {
	const { actor } = paging;
	return html`<section class="card">
		<h1>Activity</h1>
		<p class="muted">Sign-ins; members, their roles and invitations; groups, rollouts and allowances; tokens; provisioning and single sign-on changes — newest first. Policy saves are on <a href="/console/revisions">Revisions</a>.</p>
		${notUsedNotice('activity-problems', problems, ACTIVITY_QUERY_LABELS, 'The list below is shown without it.')}
		${actor ? html`<p id="activity-actor">Only what <strong>${actor}</strong> did. <a href="/console/activity">Show everyone's</a></p>` : ''}
		<table id="activity">
			<thead><tr><th>When</th><th>Who</th><th>What</th><th>Outcome</th><th>Details</th></tr></thead>
			<tbody>
				${events.map(
					(event) => html`<tr data-action="${event.action}" data-outcome="${event.outcome}">
						<td class="nowrap"><time datetime="${isoTime(event.at)}">${isoTime(event.at)}</time></td>
						<td>${actor ? event.actor : html`<a href="${activityLink(event.actor)}" title="Only what they did">${event.actor}</a>`}</td>
						<td title="${event.action}">${ACTION_LABELS[event.action] ?? event.action}</td>
						<td><span class="badge ${event.outcome}">${event.outcome}</span></td>
						<td>${Object.entries(event.detail).map(detailItem)}</td>
					</tr>`,
				)}
			</tbody>
		</table>
		${events.length === 0 ? html`<p class="muted">${paging.paged ? 'Nothing older.' : actor ? 'Nothing by them.' : 'Nothing yet.'}</p>` : ''}
		<p class="pages">
			${paging.paged ? html`<a href="${activityLink(actor)}" id="activity-newest">Newest</a>` : ''}
			${paging.older ? html`<a href="${activityLink(actor, paging.older)}" id="activity-older">Older</a>` : ''}
		</p>
		<p class="hint">A log collector reads the same list from <code>GET /api/v1/admin/activity</code> with an admin API token (<code>after=</code> the last cursor it read; <code>actor=</code> narrows it as this page does).</p>
	</section>`;
}
