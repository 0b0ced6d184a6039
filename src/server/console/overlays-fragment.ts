import type { Overlay } from '../../policy';
import { MASK } from '../policy/revision-diff';
import { html, jsonForScript, type SafeHtml } from './html';

/** Where a row shows the errors of one of its fields (the browser maps `overlays[i].<field>` here). */
const slot = (field: string) => html`<div class="field-error" data-overlay-field="${field}" role="alert"></div>`;

/** Header lines as the admin types them; a secret value arrives masked and, left as it is, keeps its saved value. */
const headerLines = (headers: Record<string, string> | undefined) =>
	Object.entries(headers ?? {})
		.map(([name, value]) => `${name}: ${value}`)
		.join('\n');

function overlayRow(overlay: Overlay | undefined, mayChangeEndpoint: boolean, groupExists = true): SafeHtml {
	const group = overlay?.group ?? '';
	const name = group || 'the group';
	const kept = Object.keys(overlay?.models?.settings ?? {});
	return html`<fieldset class="overlay-row" data-group="${group}" data-model-settings="${JSON.stringify(overlay?.models?.settings ?? {})}">
		<legend><span class="overlay-group">${group}</span>
			<button type="button" class="link overlay-up" aria-label="Apply ${name} earlier">↑</button>
			<button type="button" class="link overlay-down" aria-label="Apply ${name} later">↓</button>
			<button type="button" class="link overlay-remove" aria-label="Remove the overlay of ${name}">Remove</button>
		</legend>
		<div class="overlay-fields">
			<label>Allowed models<input class="overlay-allowed" value="${overlay?.models?.allowed.join(', ') ?? ''}" placeholder="The organization's" spellcheck="false">${slot('allowed')}</label>
			<label>Default model<input class="overlay-default" value="${overlay?.models?.default ?? ''}" placeholder="The organization's" spellcheck="false">${slot('default')}</label>
			<label>Extra headers<textarea class="overlay-headers" rows="2" placeholder="X-Team: research (one per line)" spellcheck="false">${headerLines(overlay?.headers)}</textarea>${slot('headers')}</label>
			<label>Monthly token budget<input class="overlay-budget-tokens" inputmode="numeric" value="${overlay?.budget?.monthlyTokens ?? ''}" placeholder="The organization's">
				<select class="overlay-budget-enforcement" aria-label="Budget enforcement for ${name}">
					<option value="soft" ${overlay?.budget?.enforcement === 'hard' ? '' : 'selected'}>Soft</option>
					<option value="hard" ${overlay?.budget?.enforcement === 'hard' ? 'selected' : ''}>Hard</option>
				</select>${slot('budget')}</label>
			<label>Base URL<input class="overlay-base-url" value="${overlay?.baseUrl ?? ''}" placeholder="The organization's" spellcheck="false" ${mayChangeEndpoint ? '' : 'disabled'} title="${mayChangeEndpoint ? '' : 'Turn on “Overlays may change the endpoint” first'}">${slot('baseUrl')}</label>
		</div>
		${groupExists ? '' : html`<p class="hint warning overlay-orphan">No group is named ${group} now: this overlay applies to nobody (was the group renamed or removed in your directory?).</p>`}
		${kept.length ? html`<p class="hint">Per-model settings kept (edit them in the policy file or the API): ${kept.join(', ')}.</p>` : ''}
		${slot('')}
	</fieldset>`;
}

/**
 * The Groups page's overlays: each changes one group's models, extra headers, budget and (where the
 * organization allows it) endpoint, applied in this order over the organization's policy (a later
 * one wins), and a preview of what any member is served. Header values arrive masked.
 */
export function overlaysSection(state: {
	overlays: readonly Overlay[];
	overlaysMayChangeEndpoint: boolean;
	revision: number;
	groups: readonly string[];
}): SafeHtml {
	return html`<section class="card" id="overlays-card">
		<h2>Group overlays</h2>
		<p class="muted">Members of a group get what its overlay changes — models, extra headers, a monthly budget and, where allowed, the endpoint — applied in this order over the organization's policy (a later overlay wins where a member is in both). Empty fields keep the organization's; the credential always does. Saved secret header values show as ${MASK}: leave them to keep them.</p>
		<label class="toggle"><input type="checkbox" id="overlays-endpoint" ${state.overlaysMayChangeEndpoint ? 'checked' : ''}> Overlays may change the endpoint (base URL)</label>
		<div id="overlays">${state.overlays.map((overlay) =>
			overlayRow(
				overlay,
				state.overlaysMayChangeEndpoint,
				state.groups.some((group) => group.toLowerCase() === overlay.group.toLowerCase()),
			),
		)}</div>
		<p id="no-overlays" class="muted" ${state.overlays.length ? 'hidden' : ''}>No overlays: every member gets the organization's policy.</p>
		${state.groups.length ? '' : html`<p class="muted" id="overlays-need-group">An overlay applies to a group: make one above, or let your directory (SCIM) or single sign-on bring them.</p>`}
		<div class="row wraps">
			<select id="overlay-group" aria-label="Group to add an overlay for" ${state.groups.length ? '' : 'hidden'}>${state.groups.map((group) => html`<option value="${group}">${group}</option>`)}</select>
			<button type="button" id="add-overlay" ${state.groups.length ? '' : 'hidden'}>Add overlay</button>
			<button type="button" id="save-overlays" class="primary">Save overlays</button>
		</div>
		${slot('overlays')}
		<h3>Preview a member's policy</h3>
		<form id="preview-member" class="row">
			<input type="email" id="preview-email" placeholder="name@example.com" aria-label="Member's e-mail address" required>
			<button type="submit">Preview</button>
		</form>
		<div id="preview-result" class="subpanel" hidden></div>
		<template id="overlay-row-template">${overlayRow(undefined, state.overlaysMayChangeEndpoint)}</template>
		<script type="application/json" id="overlays-state">${jsonForScript({ revision: state.revision })}</script>
	</section>`;
}
