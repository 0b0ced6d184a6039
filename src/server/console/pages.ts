import type { PolicySettings } from '../../policy';
import { DEFAULT_AZURE_SCOPE, isPlainHttpBeyondLoopback, PLAIN_HTTP_CHOICE } from '../../policy';
import type { RevisionView } from '../http/views';
import { errorSlot, headerRow, MODEL_DEFAULTS_TEXT, modelRow, previewUrl } from './fragments';
import { html, jsonForScript, type SafeHtml } from './html';
import { describeChanges } from '../policy/revision-words';
import { organizationTokenFields } from './organization-token-fields';
import { rolloutCard, rolloutChoice } from './rollout-fragments';
import type { RolloutStatus } from '../policy/rollout-status';

/** Numbers the history skips: saved before this database was restored from an earlier backup, and lost with it. */
function missingBefore(revision: number, older: number | undefined): SafeHtml {
	if (older === undefined || revision - older < 2) {
		return html``;
	}
	const missing = revision - older === 2 ? `Revision ${older + 1} is` : `Revisions ${older + 1}–${revision - 1} are`;
	return html`<tr class="revisions-missing"><td colspan="6" class="muted">${missing} not in this database: saved before it was restored from an earlier backup. Revision ${revision} was numbered past them, since members held them.</td></tr>`;
}

/** Members hold a revision newer than this database's newest: what that means, and what the next save does about it. */
function heldAheadNote(revision: number, held: { revision: number; by: string; at: string }): SafeHtml {
	return html`<p class="status error" id="held-ahead">The VS Code of ${held.by} holds revision ${held.revision} (said <time datetime="${held.at}">${held.at}</time>), newer than the newest saved here (${revision}): this database was probably restored from an earlier backup. Members refuse a revision older than one they applied, so they keep what they hold until you save. <em>Save</em>, with the settings as they are or changed, makes revision ${held.revision + 1}, which every member takes.</p>`;
}

/** The admin console's pages (signed-in admins only). */
export const adminPages = {
	settings(state: {
		settings: PolicySettings;
		revision: number;
		updatedBy: string;
		updatedAt: string;
		issuer: string;
		/** The groups a save may go to first. */
		groups: readonly string[];
		/** A member holds a newer revision than any saved here (this database was restored from a backup). */
		heldAhead?: { revision: number; by: string; at: string };
	}): SafeHtml {
		const { settings } = state;
		const provider = settings.provider;
		const azure = provider?.azure;
		const enabledProvider = settings.enabled && provider ? 'OpenAI Compatible' : 'None (members choose their own provider)';
		return html`<section class="card">
			<header class="card-header">
				<h1>Provider settings</h1>
				<p class="muted">Revision <span id="revision">${state.revision}</span>, saved by <span id="updated-by">${state.updatedBy}</span> at <time id="updated-at" datetime="${state.updatedAt}">${state.updatedAt}</time></p>
			</header>
			${state.heldAhead ? heldAheadNote(state.revision, state.heldAhead) : ''}
			<div id="status" class="status" role="status" aria-live="polite"></div>
			<form id="settings-form" novalidate>
				<div class="field toggle">
					<label><input type="checkbox" id="enabled" ${settings.enabled ? 'checked' : ''}> Enable settings — lock every member to this provider</label>
					<p class="hint">When on, every member's extension uses the provider below and nothing else (their own provider is locked). Off: members choose freely.</p>
					${errorSlot('enabled')}
				</div>
				<div class="field">
					<label for="enabled-provider">Enabled provider</label>
					<output id="enabled-provider">${enabledProvider}</output>
				</div>
				<div class="field">
					<label for="api-provider">API Provider</label>
					<select id="api-provider">
						<option value="openai-compatible" selected>OpenAI Compatible</option>
						<option value="openai" disabled>OpenAI (not enforceable)</option>
						<option value="anthropic" disabled>Anthropic (not enforceable)</option>
					</select>
					<p class="hint" id="not-enforceable">Only <em>OpenAI Compatible</em> can be enforced: the policy sends every assistant to your organization's own endpoint, and OpenAI's or Anthropic's public APIs are not one. To use them, put your gateway in front and enter its URL below.</p>
					${errorSlot('provider.id')}
				</div>
				<fieldset id="openai-compatible-panel">
					<legend>OpenAI Compatible</legend>
					<div class="field">
						<label for="base-url">Base URL <span class="required">required</span></label>
						<input id="base-url" type="url" placeholder="https://your-resource.openai.azure.com" value="${provider?.baseUrl ?? ''}" spellcheck="false">
						${errorSlot('provider.baseUrl')}
						<p class="hint">Requests go to <output id="request-url">${previewUrl(provider)}</output></p>
					</div>
					<div class="field toggle" id="plain-http-choice" ${provider?.allowPlainHttp || isPlainHttpBeyondLoopback(provider?.baseUrl ?? '') ? '' : 'hidden'}>
						<label><input type="checkbox" id="allow-plain-http" ${provider?.allowPlainHttp ? 'checked' : ''}> ${PLAIN_HTTP_CHOICE} — keys and prompts cross the network unencrypted</label>
						<p class="hint warning">Only for an endpoint inside your network (e.g. http://vllm.internal:8000/v1). Members are told their requests are not encrypted; members on the first release of the extension keep their current policy until they update.</p>
						${errorSlot('provider.allowPlainHttp')}
					</div>
					<div class="field">
						<label>Custom Headers</label>
						<div id="headers">${Object.entries(provider?.headers ?? {}).map(([name, value]) =>
							headerRow(
								name,
								provider?.readableHeaders?.some((readable) => readable.toLowerCase() === name.toLowerCase())
									? { readable: true, value }
									: { readable: false },
							),
						)}</div>
						<p class="hint">Values marked <em>secret</em> are never shown again after saving; the others stay readable here and in the history.</p>
						<button type="button" id="add-header">+ Add header</button>
						${errorSlot('provider.headers')}
					</div>
					<div class="field toggle">
						<label><input type="checkbox" id="api-key-required" ${(provider?.apiKeyRequired ?? true) && !provider?.organizationToken ? 'checked' : ''} ${provider?.organizationToken ? 'disabled' : ''}> Members enter their own API key</label>
						${errorSlot('provider.apiKeyRequired')}
					</div>
					${organizationTokenFields(provider, state.issuer)}
					<div class="field toggle">
						<label><input type="checkbox" id="azure" ${azure ? 'checked' : ''}> Azure OpenAI / Azure AI Foundry endpoint</label>
					</div>
					<div id="azure-panel" class="subpanel" ${azure ? '' : 'hidden'}>
						<div class="field">
							<label for="api-version">Azure API Version</label>
							<input id="api-version" placeholder="2024-06-01 (leave empty for the v1 API)" value="${azure?.apiVersion ?? ''}" spellcheck="false">
							${errorSlot('provider.azure.apiVersion')}
						</div>
						<div class="field toggle">
							<label><input type="checkbox" id="identity-auth" ${azure?.identityAuth ? 'checked' : ''}> Azure Identity Authentication (Entra ID)</label>
							${errorSlot('provider.azure.identityAuth')}
						</div>
						<div id="entra-fields" ${azure?.identityAuth ? '' : 'hidden'}>
						<div class="field">
							<label for="tenant-id">Tenant</label>
							<input id="tenant-id" placeholder="contoso.onmicrosoft.com or tenant GUID (optional)" value="${azure?.tenantId ?? ''}" spellcheck="false">
							${errorSlot('provider.azure.tenantId')}
						</div>
						<div class="field">
							<label for="scope">Token scope</label>
							<input id="scope" placeholder="${DEFAULT_AZURE_SCOPE}" value="${azure?.scope && azure.scope !== DEFAULT_AZURE_SCOPE ? azure.scope : ''}" spellcheck="false">
							${errorSlot('provider.azure.scope')}
						</div>
						</div>
					</div>
					<div class="field">
						<label for="allowed-models">Allowed models</label>
						<input id="allowed-models" placeholder="gpt-4o, gpt-4o-mini (empty: any model the endpoint lists)" value="${(provider?.models?.allowed ?? []).join(', ')}" spellcheck="false">
						${errorSlot('provider.models.allowed')}
					</div>
					<div class="field">
						<label for="default-model">Default model</label>
						<input id="default-model" value="${provider?.models?.default ?? ''}" spellcheck="false">
						${errorSlot('provider.models.default')}
					</div>
					<div class="field">
						<label for="utility-model">VS Code's utility models</label>
						<div class="row">
							<label class="inline-label">Utility (titles, commit messages) <input id="utility-model" placeholder="Utility model, e.g. gpt-4o-mini" value="${provider?.models?.utilityModel ?? ''}" spellcheck="false"></label>
							<label class="inline-label">Small, fast tasks <input id="utility-small-model" placeholder="Small utility model" value="${provider?.models?.utilitySmallModel ?? ''}" spellcheck="false"></label>
						</div>
						<p class="hint">VS Code's own chat sends chat titles, progress messages and commit messages to these (<code>chat.utilityModel</code>, <code>chat.utilitySmallModel</code>; VS Code 1.128+), otherwise to Copilot's. Members' VS Code is pointed at them once; an extension cannot lock another product's setting, so the Members page shows anyone who changed them.</p>
						${errorSlot('provider.models.utilityModel')}${errorSlot('provider.models.utilitySmallModel')}
					</div>
					<div class="field">
						<label>Model settings</label>
						<p class="hint">What assistants learn about each allowed model. Empty fields keep the defaults: ${MODEL_DEFAULTS_TEXT}. A reasoning model on the Responses API can be asked for a <em>Summary</em> of its reasoning, which the chat view shows as its thinking (Azure gives some models' summaries only to approved resources). <em>Also set</em> lists what the admin API or a policy file set beyond these columns: saving here keeps it, unless you remove it.</p>
						<div class="table-scroll"><table id="model-settings" class="model-settings">
							<thead><tr><th>Model</th><th>Display name</th><th>Tokens</th><th>Abilities</th><th>Reasoning</th><th>API</th></tr></thead>
							<tbody>${(provider?.models?.allowed ?? []).map((model) => modelRow(model, provider?.models?.settings?.[model]))}</tbody>
						</table></div>
						<p class="hint model-settings-empty">A row appears here for each model (or deployment) named above.</p>
						${errorSlot('provider.models.settings')}
					</div>
				</fieldset>
				<div class="field">
					<label for="admin-contact">Admin contact shown to members</label>
					<input id="admin-contact" placeholder="ai-platform@example.com" value="${settings.adminContact ?? ''}">
					${errorSlot('adminContact')}
				</div>
				<div class="field toggle">
					<label><input type="checkbox" id="usage-reporting" ${settings.usage?.reporting === 'counts' ? 'checked' : ''}> Usage reporting: members' extensions send usage counts</label>
					<p class="hint">Per hour: model, API, caller, outcome, revision, requests, tokens and timings, shown on the Usage page. Never prompts, answers, tool arguments, file or workspace names. Members can see what is reported about them.</p>
					${errorSlot('usage.reporting')}
				</div>
				<div class="field">
					<label for="budget-tokens">Monthly token allowance per member</label>
					<div class="row">
						<input id="budget-tokens" inputmode="numeric" placeholder="No budget" value="${settings.usage?.budget?.monthlyTokens ?? ''}">
						<select id="budget-enforcement" aria-label="When the allowance is used up">
							<option value="soft" ${settings.usage?.budget?.enforcement === 'hard' ? '' : 'selected'}>Soft: tell the member at 80% and 100%</option>
							<option value="hard" ${settings.usage?.budget?.enforcement === 'hard' ? 'selected' : ''}>Hard: refuse requests at 100% until next month</option>
						</select>
					</div>
					${errorSlot('usage.budget')}
					<p class="hint">Input and output tokens per calendar month (UTC), measured from usage reports; one member's own allowance is set with the admin API (<code>PUT /api/v1/admin/usage/budgets/{member}</code>).</p>
				</div>
				<div class="actions">
					${rolloutChoice(state.groups)}
					<button type="submit" id="save" class="primary" disabled>Save</button>
				</div>
			</form>
			<template id="header-row-template">${headerRow('', undefined)}</template>
			<template id="model-row-template">${modelRow('', undefined)}</template>
			<script type="application/json" id="console-state">${jsonForScript({ revision: state.revision })}</script>
		</section>`;
	},

	revisions(rows: (RevisionView & { restoreEffect: string[] })[], rollout?: RolloutStatus): SafeHtml {
		return html`${rolloutCard(rollout)}<section class="card">
			<h1>Revisions</h1>
			<div id="status" class="status" role="status" aria-live="polite"></div>
			<table id="revisions" data-current="${rows[0]?.revision ?? 0}">
				<thead><tr><th>Revision</th><th>Saved by</th><th>When</th><th>Enabled</th><th>What changed</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
				<tbody>
					${rows.map(
						(row, index) => html`<tr data-revision="${row.revision}">
							<td>${row.revision}</td>
							<td>${row.updatedBy}</td>
							<td><time datetime="${row.updatedAt}">${row.updatedAt}</time></td>
							<td>${row.enabled ? 'yes' : 'no'}</td>
							<td class="changes-cell"><ul class="changes">${describeChanges(row.changes).map((line) => html`<li>${line}</li>`)}</ul></td>
							<td>${index === 0 ? html`<span class="muted">current</span>` : html`<button type="button" class="restore-revision" data-revision="${row.revision}" data-effect="${row.restoreEffect.join(' · ')}">Restore</button>`}</td>
						</tr>${missingBefore(row.revision, rows[index + 1]?.revision)}`,
					)}
				</tbody>
			</table>
		</section>`;
	},
};
