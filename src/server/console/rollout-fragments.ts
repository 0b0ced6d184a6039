import type { RolloutSide, RolloutStatus } from '../policy/rollout-status';
import { html, type SafeHtml } from './html';

/** Beside Save: who gets the saved revision first. */
export function rolloutChoice(groups: readonly string[]): SafeHtml {
	return html`<label class="inline" for="rollout">Save for</label>
		<select id="rollout" aria-label="Who gets this revision first">
			<option value="" selected>everyone at once</option>
			<option value="percent:10">a canary: 10% of members</option>
			<option value="percent:25">a canary: 25% of members</option>
			<option value="percent:50">a canary: 50% of members</option>
			${groups.map((group) => html`<option value="group:${group}">a canary: the group ${group}</option>`)}
		</select>`;
}

const rate = (side: RolloutSide) => (side.requests ? `${((100 * side.failed) / side.requests).toFixed(1)}%` : '—');

/** The rollout under way, on the Revisions page: the canary beside everyone else, and the two ways out. */
export function rolloutCard(status: RolloutStatus | undefined): SafeHtml | '' {
	if (!status) {
		return '';
	}
	const canary = status.canary.group !== undefined ? `the group ${status.canary.group}` : `${status.canary.percent}% of members`;
	const row = (name: string, revision: number, side: RolloutSide) =>
		html`<tr><th scope="row">${name}</th><td>${revision}</td><td>${side.applied} of ${side.members}${side.extensionTooOld ? html`<br><span class="muted extension-update-note">${side.extensionTooOld} with an extension too old for it</span>` : ''}</td><td>${side.requests}</td><td>${side.failed}</td><td>${rate(side)}</td></tr>`;
	return html`<section class="card" id="rollout-card" data-revision="${status.revision}">
		<h2>Revision ${status.revision} is rolling out to ${canary}</h2>
		<p class="muted">Saved by ${status.startedBy}. Everyone else keeps revision ${status.stable} until you promote it; nothing changes on its own.</p>
		<table id="rollout-compare">
			<thead><tr><th><span class="visually-hidden">Members</span></th><th>Revision</th><th>Applied</th><th>Requests</th><th>Failed</th><th>Error rate</th></tr></thead>
			<tbody>${row('Canary', status.revision, status.canaryMembers)}${row('Everyone else', status.stable, status.everyoneElse)}</tbody>
		</table>
		<div class="actions">
			<button type="button" id="promote-rollout" class="primary">Promote to everyone</button>
			<button type="button" id="rollback-rollout">Roll back</button>
		</div>
	</section>`;
}
