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
	const restored = new URLSearchParams(window.location.search).get('restored');
	if (restored) {
		showStatus(`Restored revision ${restored} as revision ${$('#revisions').dataset.current}. Members receive it now.`, 'success');
	}
}
