import type { ModelApi, ModelSettings, ProviderSettings } from '../../policy';
import { MODEL_APIS, planEndpoint, previewRequestUrl, REASONING_EFFORTS, REASONING_SUMMARIES } from '../../policy';
import { MASK } from '../policy/revision-diff';
import { html, type SafeHtml } from './html';
import { describeBeyondTheTable, settingsBeyondTheTable } from './model-settings-beyond-table';

/**
 * The console's repeated parts: each is rendered in its page and also sent as a <template> the
 * script clones, so its markup lives in one place.
 */

export const errorSlot = (path: string) => html`<div class="field-error" data-error-for="${path}" role="alert"></div>`;

/**
 * One custom-header row, also sent as a template the console's script clones for "Add header".
 * The value is a textarea so a pasted value is kept exactly (an input drops line breaks) and the
 * service can name what is wrong with it.
 */
export function headerRow(name: string, saved: { readable: false } | { readable: true; value: string } | undefined): SafeHtml {
	const secret = !saved?.readable;
	const masked = saved !== undefined && secret;
	return html`<div class="header-row" data-saved="${masked ? 'true' : 'false'}">
		<input class="header-name" aria-label="Header name" placeholder="X-Header-Name" value="${name}" spellcheck="false">
		<textarea class="header-value" aria-label="Header value" rows="1" placeholder="${masked ? `${MASK} saved — type to replace` : 'value'}" autocomplete="off" spellcheck="false">${saved?.readable ? saved.value : ''}</textarea>
		<label class="header-secret-toggle" title="Secret values are masked in the console and the history"><input type="checkbox" class="header-secret" ${secret ? 'checked' : ''}> secret</label>
		<button type="button" class="remove-header icon" title="Remove header" aria-label="Remove header">✕</button>
		${errorSlot(`provider.headers.${name}`)}
	</div>`;
}

/** The chat-completions URL members' clients will call for the default (or first) model, as the console shows it. */
export function previewUrl(provider: Pick<ProviderSettings, 'baseUrl' | 'azure' | 'models'> | undefined): string {
	if (!provider?.baseUrl) {
		return '—';
	}
	try {
		const model = provider.models?.default ?? provider.models?.allowed[0];
		return previewRequestUrl(planEndpoint(provider), model, model ? provider.models?.settings?.[model]?.api : undefined);
	} catch {
		return '—';
	}
}

export const MODEL_DEFAULTS_TEXT =
	'128,000-token context, 4,096 output tokens, tools on, images off, not a reasoning model, called through Chat Completions';

/** The console's words for each API (codex models on Azure take only the Responses API). */
const API_LABELS: Record<ModelApi, string> = { 'chat-completions': 'Chat Completions', responses: 'Responses' };

/**
 * One allowed model's settings, also sent as a template the script clones when a model is added to
 * the list. Related settings share a cell, each with its own small label, so the row fits the card.
 */
export function modelRow(model: string, settings: ModelSettings | undefined): SafeHtml {
	const path = `provider.models.settings.${model}`;
	// An error slot follows its control, which is how the script finds the control to mark.
	const field = (label: string, control: SafeHtml, errorPath: string) =>
		html`<div class="cell-field"><span class="cell-label" aria-hidden="true">${label}</span>${control}${errorSlot(`${path}.${errorPath}`)}</div>`;
	const number = (name: 'contextWindow' | 'maxOutputTokens', label: string, placeholder: string) =>
		field(
			label,
			html`<input type="number" min="1" class="model-${name}" aria-label="${name} of ${model}" placeholder="${placeholder}" value="${settings?.[name] ?? ''}">`,
			name,
		);
	const flag = (name: 'toolCalling' | 'imageInput' | 'reasoning', label: string, on: boolean) =>
		html`<label class="cell-check"><input type="checkbox" class="model-${name}" aria-label="${name} of ${model}" ${on ? 'checked' : ''}> ${label}</label>`;
	const choice = (
		name: string,
		ariaLabel: string,
		values: readonly string[],
		chosen: string,
		words: (value: string) => string,
		extra = '',
	) =>
		html`<select class="model-${name}" aria-label="${ariaLabel} of ${model}" ${extra}>${values.map(
			(value) => html`<option value="${value}" ${value === chosen ? 'selected' : ''}>${words(value)}</option>`,
		)}</select>`;
	const api = settings?.api ?? 'chat-completions';
	const summaryPossible = api === 'responses' && settings?.reasoning === true;
	const kept = settingsBeyondTheTable(settings);
	const keptWords = describeBeyondTheTable(kept);
	return html`<tr class="model-row" data-model="${model}" data-kept="${JSON.stringify(kept)}">
		<th scope="row" class="model-name">${model}</th>
		<td><input class="model-displayName" aria-label="display name of ${model}" placeholder="${model}" value="${settings?.displayName ?? ''}">${errorSlot(`${path}.displayName`)}
			${
				keptWords.length
					? html`<div class="model-kept"><span class="cell-label">Also set (admin API or policy file)</span><ul>${keptWords.map(
							({ field: kept, words }) =>
								html`<li class="kept-setting" data-field="${kept}"><span class="kept-words">${words}</span> <button type="button" class="link remove-kept" aria-label="Remove ${words} (${model})">Remove</button></li>`,
						)}</ul></div>`
					: ''
			}${keptWords.map(({ field: kept }) => errorSlot(`${path}.${kept}`))}</td>
		<td>${number('contextWindow', 'Context window', '128000')}${number('maxOutputTokens', 'Max output', '4096')}</td>
		<td>${flag('toolCalling', 'Tools', settings?.toolCalling ?? true)}${flag('imageInput', 'Images', settings?.imageInput ?? false)}</td>
		<td>${flag('reasoning', 'Reasoning model', settings?.reasoning ?? false)}
			${field(
				'Effort',
				choice(
					'reasoningEffort',
					'reasoning effort',
					['', ...REASONING_EFFORTS],
					settings?.pinned.reasoning_effort ?? '',
					(value) => value || 'default',
				),
				'pinned.reasoning_effort',
			)}
			${field(
				'Summary',
				choice(
					'reasoningSummary',
					'reasoning summary',
					['', ...REASONING_SUMMARIES],
					settings?.reasoningSummary ?? '',
					(value) => value || 'off',
					summaryPossible ? '' : 'disabled',
				),
				'reasoningSummary',
			)}</td>
		<td>${choice('api', 'API', MODEL_APIS, api, (value) => API_LABELS[value as ModelApi])}${errorSlot(`${path}.api`)}</td>
	</tr>`;
}

/** One pending invitation; also the template the script fills after inviting, so the markup lives here only. */
export function invitationItem(email: string, role: string, expiresAt: string): SafeHtml {
	return html`<li><span class="invitation-email">${email}</span> (<span class="invitation-role">${role}</span>), expires <time class="invitation-expires" datetime="${expiresAt}">${expiresAt}</time> <button type="button" class="withdraw-invitation" data-email="${email}" aria-label="Withdraw the invitation to ${email}">Withdraw</button></li>`;
}
