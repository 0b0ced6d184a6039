import type { Overlay } from '../../policy';
import { errorSlot } from './fragments';
import { html, jsonForScript, type SafeHtml } from './html';

function overlayRow(overlay: Overlay | undefined, index: number): SafeHtml {
	return html`<tr class="overlay-row" data-group="${overlay?.group ?? ''}">
		<th scope="row" class="overlay-group">${overlay?.group ?? ''}</th>
		<td><input class="overlay-allowed" value="${overlay?.models.allowed.join(', ') ?? ''}" aria-label="Allowed models for ${overlay?.group ?? 'the group'}" spellcheck="false">${errorSlot(`overlays[${index}].models.allowed`)}</td>
		<td><input class="overlay-default" value="${overlay?.models.default ?? ''}" aria-label="Default model for ${overlay?.group ?? 'the group'}" spellcheck="false">${errorSlot(`overlays[${index}].models.default`)}</td>
		<td><button type="button" class="link overlay-up" aria-label="Apply earlier">↑</button> <button type="button" class="link overlay-down" aria-label="Apply later">↓</button> <button type="button" class="link overlay-remove">Remove</button></td>
	</tr>`;
}

/**
 * The Groups page's overlays: each changes one group's models, applied in this order over the
 * organization's policy (a later one wins), and a preview of what any member is served.
 */
export function overlaysSection(state: { overlays: readonly Overlay[]; revision: number; groups: readonly string[] }): SafeHtml {
	return html`<section class="card" id="overlays-card">
		<h2>Group overlays</h2>
		<p class="muted">Members of a group get its models instead of the organization's, applied in this order (a later overlay wins where a member is in both). Everything else — endpoint, headers, credential — stays as the organization set it.</p>
		<table id="overlays">
			<thead><tr><th scope="col">Group</th><th scope="col">Allowed models</th><th scope="col">Default model</th><th scope="col"></th></tr></thead>
			<tbody>${state.overlays.map((overlay, index) => overlayRow(overlay, index))}</tbody>
		</table>
		<p id="no-overlays" class="muted" ${state.overlays.length ? 'hidden' : ''}>No overlays: every member gets the organization's models.</p>
		<div class="row">
			<select id="overlay-group" aria-label="Group to add an overlay for">${state.groups.map((group) => html`<option value="${group}">${group}</option>`)}</select>
			<button type="button" id="add-overlay">Add overlay</button>
			<button type="button" id="save-overlays" class="primary">Save overlays</button>
		</div>
		${errorSlot('overlays')}
		<h3>Preview a member's policy</h3>
		<form id="preview-member" class="row">
			<input type="email" id="preview-email" placeholder="name@example.com" aria-label="Member's e-mail address" required>
			<button type="submit">Preview</button>
		</form>
		<div id="preview-result" class="subpanel" hidden></div>
		<template id="overlay-row-template">${overlayRow(undefined, 0)}</template>
		<script type="application/json" id="overlays-state">${jsonForScript({ revision: state.revision })}</script>
	</section>`;
}
