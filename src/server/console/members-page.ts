import * as z from 'zod';
import type { FieldError } from '../../policy';
import type { MemberListing, MemberListingQuery } from '../http/member-listing';
import { listMembers, MemberListingQuerySchema, SYNC_LABELS } from '../http/member-listing';
import type { InvitationView, MemberView } from '../http/views';
import { invitationItem } from './fragments';
import { html, type SafeHtml } from './html';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';
import { machineWords } from '../policy/sign-in-standing';
import { invalidField, notUsedNotice, queryKeepingGood } from './not-used';

/** Members shown on one page of the console's list: a company's thousands are searched, not scrolled. */
export const MEMBERS_PER_PAGE = 100;

/** What the Members page was asked for: a search, a sync state, a group (from the Groups page), and the page (from 1). */
export interface MembersPageQuery {
	readonly q: string;
	readonly sync: MemberListingQuery['sync'];
	readonly group: string;
	readonly page: number;
}

const PAGE_NUMBER = 'must be a whole number, 1 or more';

const MembersPageQuerySchema = z.object({
	q: MemberListingQuerySchema.shape.q,
	sync: MemberListingQuerySchema.shape.sync,
	group: MemberListingQuerySchema.shape.group,
	page: z.coerce.number(PAGE_NUMBER).int(PAGE_NUMBER).min(1, PAGE_NUMBER).max(1_000_000, PAGE_NUMBER).optional(),
});

/** The form's labels for the fields of the page's address, as a notice names them. */
const MEMBERS_QUERY_LABELS: Readonly<Record<string, string>> = { q: 'Find', sync: 'Sync', group: 'Group', page: 'Page' };

/**
 * The page's query from its address: a field that cannot be used falls back to its default (every
 * state, the first page…) and is named in `problems`; the form shows what applies.
 */
export function membersPageQuery(raw: unknown): { query: MembersPageQuery; problems: FieldError[] } {
	const { query, problems } = queryKeepingGood(MembersPageQuerySchema, raw);
	return {
		query: {
			q: query?.q?.trim() ?? '',
			sync: query?.sync,
			group: query?.group?.trim() ?? '',
			page: query?.page ?? 1,
		},
		problems,
	};
}

/** How many pages the matching members fill (one, when none match). */
const pageCount = (listing: MemberListing) => Math.max(1, Math.ceil(listing.matching / MEMBERS_PER_PAGE));

/** The members of the page asked for, or of the last page when it asks past the end (a member was removed meanwhile). */
export function membersOnPage(
	people: readonly MemberView[],
	groupsOf: ReadonlyMap<string, readonly string[]>,
	query: MembersPageQuery,
): { listing: MemberListing; query: MembersPageQuery } {
	const on = (page: number) =>
		listMembers(people, groupsOf, {
			q: query.q,
			sync: query.sync,
			group: query.group,
			offset: (page - 1) * MEMBERS_PER_PAGE,
			limit: MEMBERS_PER_PAGE,
		});
	const listing = on(query.page);
	const pages = pageCount(listing);
	return query.page > pages ? { listing: on(pages), query: { ...query, page: pages } } : { listing, query };
}

/** A member whose VS Code holds other utility models than the policy names (they changed them; the extension cannot lock them). */
function vscodeChatNote({ vscodeChat: chat, signIns }: MemberView): SafeHtml {
	if (!chat?.reported) {
		return html``;
	}
	const where = (signIns?.length ?? 0) > 1 ? 'one of their computers' : 'this computer';
	if (!chat.reported.supported) {
		return html`<br><span class="muted vscode-chat">the VS Code on ${where} has no utility-model settings (older than the policy's option)</span>`;
	}
	return chat.drifted
		? html`<br><span class="muted vscode-chat drifted">VS Code utility models changed on ${where}: ${chat.reported.utilityModel ?? 'not set'} / ${chat.reported.utilitySmallModel ?? 'not set'} (the policy names ${chat.expected.utilityModel ?? '—'} / ${chat.expected.utilitySmallModel ?? '—'})</span>`
		: html``;
}

/** Why a member is stuck, and what brings them along: only an update of their extension (on the machine that has the old one). */
function extensionTooOldNote(member: MemberView): SafeHtml {
	if (member.sync !== 'extension too old') {
		return html``;
	}
	const machines = member.signIns ?? [];
	const oldest = machines.find((machine) => machine.policySchema === member.policySchema);
	const applied = oldest ? oldest.appliedRevision : member.appliedRevision;
	const holding = applied === null ? 'no policy' : `revision ${applied}`;
	const which = machines.length > 1 ? 'one of their machines knows' : 'knows';
	return html`<br><span class="muted extension-update-note">${which} schema ${member.policySchema ?? 1} only: keeps ${holding} until updated</span>`;
}

/** A member on several machines: what each holds and runs, since the one furthest behind sets their sync state. */
function signInsNote(member: MemberView): SafeHtml {
	const machines = member.signIns ?? [];
	if (machines.length < 2) {
		return html``;
	}
	const each = machines.map((machine) => {
		const holds = machine.appliedRevision === null ? 'no policy yet' : `revision ${machine.appliedRevision}`;
		const runs = machineWords(machine);
		return html`<li>${holds} (${runs}) <button type="button" class="sign-out-machine" data-id="${member.id}" data-sign-in-id="${machine.id}" data-email="${member.email}" data-machine="${runs}" aria-label="Sign out the machine of ${member.email} running ${runs}" title="That VS Code's sign-in ends now; their other machines stay signed in">Sign out</button></li>`;
	});
	return html`<div class="muted sign-ins-note">signed in on <span class="sign-in-count">${machines.length} machines</span>:<ul>${each}</ul></div>`;
}

/** What *extension too old* means, said once above the list when anyone on it is. */
const EXTENSION_TOO_OLD_HINT = html`<p class="muted" id="extension-too-old-hint"><em>Extension too old</em>: their Org Provider Policy extension understands an older policy schema than the revision they are served needs (organization tokens, and models only the Responses API serves, need schema 3). They keep what they hold until they update the extension in VS Code; nothing here can do it for them.</p>`;

/** Another member's role, changed in place (the script asks first and says the outcome). */
function roleChoice(member: MemberView): SafeHtml {
	const option = (role: string) => html`<option value="${role}" ${member.role === role ? 'selected' : ''}>${role}</option>`;
	return html`<select class="member-role" data-id="${member.id}" data-email="${member.email}" data-role="${member.role}" aria-label="Role of ${member.email}">${option('member')}${option('admin')}</select>`;
}

/** What an admin may do to another member: a link to set a lost password, sign them out everywhere (they stay), or remove them. */
function memberActions(member: MemberView): SafeHtml {
	const data = html`data-id="${member.id}" data-email="${member.email}" data-token-until="${member.organizationTokenUntil ?? ''}"`;
	return html`<div class="member-actions"><button type="button" class="reset-password" ${data} aria-label="Reset password of ${member.email}" title="A one-time link with which they set a new password">Reset password</button>
		<button type="button" class="sign-out-member" ${data} aria-label="Sign out ${member.email} everywhere">Sign out</button>
		<button type="button" class="remove-member" ${data} aria-label="Remove ${member.email}">Remove</button></div>`;
}

/** A member's unused reset link: until when it works, and *Withdraw* (a link sent to the wrong inbox). The script fills a copy for a link just made. */
function resetLinkNote(member: Pick<MemberView, 'id' | 'email'>, until: string): SafeHtml {
	return html`<span class="password-reset-until"><br><span class="muted">reset link works until <time datetime="${until}">${until}</time></span>
		<button type="button" class="withdraw-reset" data-id="${member.id}" data-email="${member.email}" aria-label="Withdraw the password reset link of ${member.email}">Withdraw</button></span>`;
}

/** Where the script shows a one-time link just made (`#<kind>-link`), with what happened to it (`#<kind>-note`) and *Copy*. */
function oneTimeLinkPanel(kind: 'invite' | 'reset', label: string): SafeHtml {
	return html`<div id="${kind}-result" class="subpanel" hidden>
		<p id="${kind}-note"></p>
		<div class="row">
			<input id="${kind}-link" readonly aria-label="${label}" spellcheck="false">
			<button type="button" id="copy-${kind}-link" data-copy-from="#${kind}-link">Copy</button>
		</div>
	</div>`;
}

const count = (value: number) => value.toLocaleString('en-US');
const membersCount = (value: number) => `${count(value)} member${value === 1 ? '' : 's'}`;

/** The address of another page of the same search. */
function pageLink(query: MembersPageQuery, page: number): string {
	const params = new URLSearchParams();
	if (query.q) {
		params.set('q', query.q);
	}
	if (query.sync) {
		params.set('sync', query.sync);
	}
	if (query.group) {
		params.set('group', query.group);
	}
	params.set('page', String(page));
	return `/console/members?${params.toString()}`;
}

/** The search form, how many it found of how many, and links to the pages before and after. */
function membersSearch(
	listing: MemberListing,
	query: MembersPageQuery,
	groupNames: readonly string[],
	problems: readonly FieldError[],
): SafeHtml {
	const pages = pageCount(listing);
	const first = listing.matching === 0 ? 0 : (query.page - 1) * MEMBERS_PER_PAGE + 1;
	const last = Math.min(listing.matching, query.page * MEMBERS_PER_PAGE);
	const narrowed = query.q !== '' || query.sync !== undefined || query.group !== '';
	const invalid = (field: string) => invalidField(problems, field);
	return html`${notUsedNotice('members-problems', problems, MEMBERS_QUERY_LABELS, 'Shown instead: what the form below says.')}
		<form class="filters" id="member-search" method="get" action="/console/members" role="search">
			<label>Find <input type="search" name="q" value="${query.q}" placeholder="E-mail or group" maxlength="${EMAIL_MAX_LENGTH}" aria-invalid="${invalid('q')}"></label>
			<label>Sync <select name="sync" aria-invalid="${invalid('sync')}"><option value="">Every state (${count(Object.values(listing.counts).reduce((a, b) => a + b, 0))})</option>${SYNC_LABELS.map(
				(label) =>
					html`<option value="${label}" ${label === query.sync ? 'selected' : ''}>${label} (${count(listing.counts[label])})</option>`,
			)}</select></label>
			<label>Group <input name="group" list="member-group-names" value="${query.group}" placeholder="Any group" maxlength="200" aria-invalid="${invalid('group')}"></label>
			<datalist id="member-group-names">${groupNames.map((name) => html`<option value="${name}"></option>`)}</datalist>
			<button type="submit">Show</button>
			${narrowed ? html`<a href="/console/members">Show everyone</a>` : ''}
		</form>
		<nav class="pages" aria-label="Pages of members">
			<p id="members-shown">${
				listing.matching === 0
					? narrowed
						? `No member matches (of ${count(listing.total)}).`
						: 'No members yet.'
					: `Showing ${count(first)}–${count(last)} of ${narrowed ? `${count(listing.matching)} matching (${membersCount(listing.total)})` : membersCount(listing.matching)}.`
			}</p>
			${query.page > 1 ? html`<a href="${pageLink(query, query.page - 1)}" rel="prev">Previous page</a>` : ''}
			${query.page < pages ? html`<a href="${pageLink(query, query.page + 1)}" rel="next">Next page</a>` : ''}
		</nav>`;
}

/** The Members page: who is in sync, searched and a page at a time; invitations; invite a member. */
export function membersPage({
	listing,
	query,
	problems = [],
	invitations,
	currentRevision,
	selfId,
	groupsOf,
	rolesFromSso,
	heldAhead,
}: {
	listing: MemberListing;
	query: MembersPageQuery;
	/** What the address asked for that the page did not use. */
	problems?: readonly FieldError[];
	invitations: InvitationView[];
	currentRevision: number;
	/** The admin looking: their own row offers no role change, sign-out or removal. */
	selfId: string;
	groupsOf: ReadonlyMap<string, readonly string[]>;
	/** Single sign-on's rules name the admins: roles are shown, not changed here. */
	rolesFromSso: boolean;
	/** A member holds this revision, newer than any saved here (this database was restored from a backup). */
	heldAhead?: number | undefined;
}): SafeHtml {
	return html`<section class="card">
			<h1>Members</h1>
			<p class="muted">Current revision ${currentRevision}.${rolesFromSso ? html` Roles come from single sign-on: its <a href="/console/sso">Admin groups and Admin e-mails</a> set them at every sign-in.` : ''}</p>
			${listing.counts['extension too old'] > 0 ? EXTENSION_TOO_OLD_HINT : ''}
			${heldAhead ? html`<p class="status error" id="held-ahead-members">Members hold revisions up to ${heldAhead}, newer than any saved here (${currentRevision}): this database was probably restored from an earlier backup, and the sync states below are from before it. Save on <a href="/console/settings">Settings</a> to bring everyone to revision ${heldAhead + 1}.</p>` : ''}
			<div id="status" class="status" role="status" aria-live="polite"></div>
			${oneTimeLinkPanel('reset', 'One-time password reset link')}
			${membersSearch(listing, query, [...new Set([...groupsOf.values()].flat())].sort(), problems)}
			<table id="members">
				<thead><tr><th>Email</th><th>Role</th><th>Groups</th><th>Last seen</th><th>Applied revision</th><th>Sync</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
				<tbody>
					${listing.members.map(
						(member) => html`<tr data-member-id="${member.id}">
							<td><a href="/console/usage?${new URLSearchParams({ member: member.email }).toString()}" title="Their usage">${member.email}</a>${member.passwordResetUntil ? resetLinkNote(member, member.passwordResetUntil) : ''}</td>
							<td>${member.id === selfId || rolesFromSso ? member.role : roleChoice(member)}</td>
							<td class="member-groups">${(groupsOf.get(member.id) ?? []).join(', ') || '—'}</td>
							<td>${member.lastSeenAt ? html`<time datetime="${member.lastSeenAt}">${member.lastSeenAt}</time>` : 'never'}</td>
							<td>${member.appliedRevision ?? '—'}</td>
							<td><span class="badge ${member.sync.replace(/ /g, '-')}">${member.sync}</span>${member.deactivatedAt && member.organizationTokenUntil ? html`<br><span class="muted">organization token works until <time datetime="${member.organizationTokenUntil}">${member.organizationTokenUntil}</time></span>` : ''}${vscodeChatNote(member)}${extensionTooOldNote(member)}${signInsNote(member)}</td>
							<td>${member.id === selfId ? '' : memberActions(member)}</td>
						</tr>`,
					)}
				</tbody>
			</table>
			<h2>Pending invitations</h2>
			<ul id="invitations">${invitations.map((invitation) => invitationItem(invitation.email, invitation.role, invitation.expiresAt))}</ul>
			<p id="no-invitations" class="muted" ${invitations.length ? 'hidden' : ''}>None.</p>
			<template id="reset-note-template">${resetLinkNote({ id: '', email: '' }, '')}</template>
			<template id="invitation-template">${invitationItem('', 'member', '')}</template>
			<h2>Add a member</h2>
			<form id="add-member" class="row">
				<input type="email" id="member-email" placeholder="name@example.com" required aria-label="Email">
				<select id="member-role" aria-label="Role"><option value="member">member</option><option value="admin">admin</option></select>
				<button type="submit" class="primary">Invite</button>
			</form>
			${oneTimeLinkPanel('invite', 'One-time invitation link')}
		</section>`;
}
