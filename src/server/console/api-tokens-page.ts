import type { AdminApiTokenView } from '../accounts';
import { ADMIN_TOKEN_DEFAULT_DAYS, ADMIN_TOKEN_EXPIRY_WARNING_DAYS } from '../accounts/admin-api-tokens';
import { apiTokenActor } from '../audit';
import { isoTime } from '../clock';
import { activityLink } from './activity-page';
import { html, type SafeHtml } from './html';

const DAY_MS = 86_400_000;
/** The lifetimes the form offers (days); "never" is the last choice, and the table marks such tokens. */
export const EXPIRY_CHOICES = [7, 30, ADMIN_TOKEN_DEFAULT_DAYS, 180, 366] as const;

export interface ApiTokensPageState {
	readonly tokens: readonly AdminApiTokenView[];
	readonly formToken: string;
	readonly now: number;
	/** What the admin typed, shown again beside a refusal. */
	readonly values?: { label: string; expires: string };
	readonly errors?: { label?: string; expires?: string };
	/** A token just made: its secret, shown this once. */
	readonly created?: { token: string; view: AdminApiTokenView };
	readonly notice?: string;
	/** A token just revoked: where to see what it did (its row is gone from the list). */
	readonly revoked?: AdminApiTokenView;
	/** Why a post did nothing (a stale or foreign form). */
	readonly refusal?: string;
}

const timeOf = (at: number) => html`<time datetime="${isoTime(at)}">${isoTime(at)}</time>`;

function expiryCell(token: AdminApiTokenView, now: number): SafeHtml {
	if (token.expiresAt === null) {
		return html`<span class="badge behind">never</span>`;
	}
	const days = Math.ceil((token.expiresAt - now) / DAY_MS);
	const soon = token.state === 'active' && days <= ADMIN_TOKEN_EXPIRY_WARNING_DAYS;
	return html`${timeOf(token.expiresAt)}${soon ? html`<br><span class="badge behind">${days <= 1 ? 'ends within a day' : `ends in ${days} days`}</span>` : ''}`;
}

const STATE_WORDS: Readonly<Record<AdminApiTokenView['state'], SafeHtml>> = {
	active: html`<span class="badge in-sync">active</span>`,
	expired: html`<span class="badge refused">expired</span>`,
	'maker-not-admin': html`<span class="badge refused">opens nothing</span><br><span class="muted">its maker is no longer an admin</span>`,
};

function tokenRow(token: AdminApiTokenView, state: ApiTokensPageState): SafeHtml {
	return html`<tr data-token-id="${token.id}" data-state="${token.state}">
		<td>${token.label}</td>
		<td>${token.createdBy}</td>
		<td>${timeOf(token.createdAt)}</td>
		<td>${expiryCell(token, state.now)}</td>
		<td>${token.lastUsedAt === null ? 'never' : html`${timeOf(token.lastUsedAt)}<br><a href="${activityLink(apiTokenActor(token.createdBy, token.label, token.id))}" aria-label="What it did: ${token.label}">What it did</a>`}</td>
		<td>${STATE_WORDS[token.state]}</td>
		<td>
			<form method="post" action="/console/tokens/${token.id}/revoke" class="inline" data-keep-through-session-end data-confirm="Revoke the token ${token.label}? Whatever uses it is refused at once.">
				<input type="hidden" name="csrf" value="${state.formToken}">
				<button type="submit" aria-label="Revoke ${token.label}">Revoke</button>
			</form>
		</td>
	</tr>`;
}

/**
 * The API tokens page: what automation acts with (the `org-policy` CLI in a pipeline). A token is
 * made here, shown once, and listed with its maker, expiry and last use until someone revokes it.
 */
export function apiTokensPage(state: ApiTokensPageState): SafeHtml {
	const values = state.values ?? { label: '', expires: String(ADMIN_TOKEN_DEFAULT_DAYS) };
	const errors = state.errors ?? {};
	const option = (value: string, words: string) =>
		html`<option value="${value}" ${values.expires === value ? 'selected' : ''}>${words}</option>`;
	return html`<section class="card">
		<h1>API tokens</h1>
		<p class="muted">What automation acts with: the <code>org-policy</code> CLI in a pipeline (<code>ORG_POLICY_TOKEN</code>), scripts calling <code>/api/v1/admin</code>. A token carries its maker's admin rights and opens nothing once they are no longer an admin. The CLI warns ${ADMIN_TOKEN_EXPIRY_WARNING_DAYS} days before a token expires.</p>
		<div id="status" class="status" role="status" aria-live="polite"></div>
		${state.notice ? html`<p class="success" role="status" id="tokens-notice">${state.notice}${state.revoked?.lastUsedAt ? html` <a href="${activityLink(apiTokenActor(state.revoked.createdBy, state.revoked.label, state.revoked.id))}">What it did</a>` : ''}</p>` : ''}
		${state.refusal ? html`<p class="error" role="alert" id="tokens-refusal">Nothing was done: ${state.refusal}</p>` : ''}
		${
			state.created
				? html`<div class="subpanel" id="new-token"><p>The token <strong>${state.created.view.label}</strong>, shown this once: keep it in your pipeline's secrets now.</p><div class="row"><input id="new-token-value" readonly value="${state.created.token}" spellcheck="false" aria-label="New API token"><button type="button" data-copy-from="#new-token-value">Copy</button></div></div>`
				: ''
		}
		<form method="post" action="/console/tokens" id="new-token-form" data-keep-through-session-end>
			<input type="hidden" name="csrf" value="${state.formToken}">
			<div class="field">
				<label for="token-label">Label</label>
				<input id="token-label" name="label" value="${values.label}" maxlength="100" required placeholder="policy pipeline" aria-describedby="token-label-error">
				<div class="field-error" id="token-label-error" role="alert">${errors.label ?? ''}</div>
			</div>
			<div class="field">
				<label for="token-expires">Expires</label>
				<select id="token-expires" name="expires" aria-describedby="token-expires-error">
					${EXPIRY_CHOICES.map((days) => option(String(days), `in ${days} days${days === ADMIN_TOKEN_DEFAULT_DAYS ? ' (usual)' : ''}`))}
					${option('never', 'never (not advised: revoke it yourself when it is no longer needed)')}
				</select>
				<div class="field-error" id="token-expires-error" role="alert">${errors.expires ?? ''}</div>
			</div>
			<div class="actions"><button type="submit" class="primary" id="token-create">Make token</button></div>
		</form>
		<h2>Tokens</h2>
		${
			state.tokens.length
				? html`<table id="api-tokens">
					<thead><tr><th>Label</th><th>Made by</th><th>Made</th><th>Expires</th><th>Last used</th><th>State</th><th><span class="visually-hidden">Revoke</span></th></tr></thead>
					<tbody>${state.tokens.map((token) => tokenRow(token, state))}</tbody>
				</table>`
				: html`<p class="muted" id="no-tokens">No API tokens yet.</p>`
		}
	</section>`;
}
