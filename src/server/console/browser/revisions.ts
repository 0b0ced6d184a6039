import { $, $$, send, showStatus } from './dom';

interface RestoreAnswer {
	policy?: { revision: number };
	message?: string;
	fieldErrors?: { path: string; message: string }[];
}

/** The revisions page: restore an earlier revision, saved as a new one (the history stays whole). */
export function wireRevisions(table: HTMLElement): void {
	const current = Number(table.dataset.current);
	for (const button of $$<HTMLButtonElement>('.restore-revision', table)) {
		button.addEventListener('click', async () => {
			const revision = Number(button.dataset.revision);
			// What members would feel, in the console's words: enforcement, endpoint, models, credentials.
			const effect = button.dataset.effect ? ` It ${button.dataset.effect}.` : '';
			if (!window.confirm(`Save revision ${revision}'s settings as a new revision?${effect} Members receive it at once.`)) {
				return;
			}
			button.disabled = true;
			const { response, data } = await send<RestoreAnswer>('POST', `/api/v1/admin/policy/revisions/${revision}/restore`, undefined, {
				'if-match': `"${current}"`,
			});
			if (response.ok && data.policy) {
				window.location.assign(`/console/revisions?restored=${revision}`);
				return;
			}
			button.disabled = false;
			const fields = (data.fieldErrors ?? []).map((error) => `${error.path}: ${error.message}`).join('; ');
			showStatus(`Not restored: ${data.message ?? `failed (${response.status})`}${fields ? ` — ${fields}` : ''}`, 'error');
		});
	}
	wireRollout();
	const restored = new URLSearchParams(window.location.search).get('restored');
	if (restored) {
		showStatus(`Restored revision ${restored} as revision ${$('#revisions').dataset.current}. Members receive it now.`, 'success');
	}
}

/** The rollout card: Promote to everyone, or Roll back (the revision before, saved again as a new one). */
function wireRollout(): void {
	const card = document.querySelector<HTMLElement>('#rollout-card');
	if (!card) {
		const ended = new URLSearchParams(window.location.search).get('rollout');
		if (ended) {
			showStatus(ended, 'success');
		}
		return;
	}
	const revision = card.dataset.revision;
	const act = async (path: string, question: string, done: (now: number) => string) => {
		if (!window.confirm(question)) {
			return;
		}
		const { response, data } = await send<{ revision?: number; message?: string }>('POST', `/api/v1/admin/rollout/${path}`);
		if (response.ok && data.revision !== undefined) {
			window.location.assign(`/console/revisions?rollout=${encodeURIComponent(done(data.revision))}`);
			return;
		}
		showStatus(data.message ?? `Failed (${response.status}).`, 'error');
	};
	$('#promote-rollout', card).addEventListener('click', () =>
		act('promote', `Send revision ${revision} to every member now?`, () => `Revision ${revision} promoted: every member receives it now.`),
	);
	$('#rollback-rollout', card).addEventListener('click', () =>
		act(
			'rollback',
			`Roll revision ${revision} back? The revision before it is saved again, as a new revision, and every member receives it.`,
			(now) => `Revision ${revision} rolled back: the revision before it is saved again as revision ${now}.`,
		),
	);
}
