import { markdown, refreshEntry, renderEntry, type EntryContext } from './entry-view';
import { MAX_MESSAGE_LENGTH, ToWebviewSchema, type ChatEntry, type FromWebview } from './protocol';

interface VsCodeApi {
	postMessage(message: unknown): void;
	getState(): unknown;
	setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const conversationBox = byId<HTMLElement>('conversation');
const input = byId<HTMLTextAreaElement>('input');
const send = byId<HTMLButtonElement>('send');
const stop = byId<HTMLButtonElement>('stop');
const modelSelect = byId<HTMLSelectElement>('model');
const effortSelect = byId<HTMLSelectElement>('effort');
const notice = byId<HTMLElement>('notice');
const composerNote = byId<HTMLElement>('composer-note');
const announcer = byId<HTMLElement>('announcer');

let entries: ChatEntry[] = [];
// While an answer streams the extension takes no new question: Enter then keeps the draft instead of dropping it.
let busy = false;
/** The model answers are asked of (the picker's choice). */
let currentModel: string | undefined;
const post = (message: FromWebview) => vscode.postMessage(message);
// The draft outlives the view being hidden (its document is then discarded) and shown again.
const saveDraft = () => vscode.setState({ draft: input.value });

/**
 * What a screen reader hears, as VS Code's own chat does it: that an answer is awaited, then the
 * whole answer (or its failure) once done. The transcript itself is not a live region: it is redrawn
 * on every change and would be read again from the top.
 */
function announce(text: string): void {
	announcer.textContent = '';
	// Emptied first, so the same words twice (two equal answers) are announced twice.
	requestAnimationFrame(() => (announcer.textContent = text.length > 20_000 ? `${text.slice(0, 20_000)}…` : text));
}

function spoken(entry: ChatEntry): string {
	if (entry.error) {
		return `The request failed: ${entry.error}`;
	}
	const rendered = document.createElement('div');
	rendered.innerHTML = markdown.render(entry.content);
	const text = rendered.textContent?.trim() ?? '';
	return entry.stopped ? `Stopped.${text ? ` The answer so far: ${text}` : ''}` : text;
}

/** The answer a screen reader was told is awaited; it hears that answer once it is done. */
let awaited: string | undefined;
function announceProgress(): void {
	const last = entries.at(-1);
	if (busy && last?.role === 'assistant' && last.id !== awaited) {
		awaited = last.id;
		announce(`Waiting for ${currentModel ?? 'the model'}…`);
	} else if (!busy && awaited !== undefined) {
		const answered = entries.find((entry) => entry.id === awaited);
		awaited = undefined;
		if (answered) {
			announce(spoken(answered));
		}
	}
}

const reasoningOpened = new Map<string, boolean>();
/** What drawing an entry needs, as the view stands now. */
function entryContext(): EntryContext {
	const last = entries.at(-1);
	return {
		streaming: busy && last?.role === 'assistant' ? last : undefined,
		model: currentModel,
		reasoningOpened,
		post,
		announce,
	};
}

function renderAll(): void {
	const context = entryContext();
	conversationBox.replaceChildren(...entries.map((entry) => renderEntry(entry, context)));
	conversationBox.scrollTop = conversationBox.scrollHeight;
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
	const parsed = ToWebviewSchema.safeParse(event.data);
	if (!parsed.success) {
		return;
	}
	const message = parsed.data;
	if (message.type === 'state') {
		entries = message.conversation;
		busy = message.busy;
		currentModel = message.model;
		renderAll();
		announceProgress();
		byId('badge-label').textContent = message.badge.label;
		byId('badge-icon').className = `codicon ${message.badge.locked ? 'codicon-lock' : 'codicon-unlock'}`;
		byId('badge').classList.toggle('locked', message.badge.locked);
		byId('managed').hidden = !message.managedBy;
		byId('managed-label').textContent = message.managedBy ?? '';
		modelSelect.replaceChildren(...message.models.map((model) => new Option(model, model, false, model === message.model)));
		modelSelect.disabled = message.models.length === 0;
		// Only where the policy lets members pick; with no effort to show, the model's own default applies.
		const efforts = message.efforts ?? [];
		effortSelect.hidden = efforts.length === 0;
		effortSelect.replaceChildren(
			...(message.effort ? [] : [new Option('default effort', '', false, true)]),
			...efforts.map((effort) => new Option(`${effort} effort`, effort, false, effort === message.effort)),
		);
		send.hidden = message.busy;
		stop.hidden = !message.busy;
		const welcome = Boolean(message.welcome) && entries.length === 0;
		byId('cleared').hidden = !message.canUndoClear || entries.length > 0;
		byId('welcome').hidden = !welcome;
		// While the empty state asks whether an organization is in use, the own provider's missing key is not the member's concern yet.
		notice.hidden = !message.notice || welcome;
		notice.textContent = message.notice ?? '';
	} else if (message.type === 'delta' || message.type === 'thinking') {
		const entry = entries.find((candidate) => candidate.id === message.id);
		if (entry) {
			if (message.type === 'delta') {
				entry.content += message.text;
			} else {
				entry.reasoning = (entry.reasoning ?? '') + message.text;
			}
			renderSoon(entry);
		}
	}
});

// A long answer arrives in thousands of pieces; its Markdown is rendered at most once a frame, not once a piece.
const streamed = new Set<string>();
function renderSoon(entry: ChatEntry): void {
	if (streamed.size === 0) {
		requestAnimationFrame(() => {
			const context = entryContext();
			for (const id of streamed) {
				// The entry as it is now: a state message may have replaced the list since.
				const current = entries.find((candidate) => candidate.id === id);
				const element = conversationBox.querySelector<HTMLElement>(`[data-id="${id}"]`);
				if (current && element) {
					refreshEntry(element, current, context);
				}
			}
			streamed.clear();
			conversationBox.scrollTop = conversationBox.scrollHeight;
		});
	}
	streamed.add(entry.id);
}

// Both ask for the address (or the invitation link) the admin sent: with no server, that is how sign-in starts.
for (const id of ['welcome-sign-in', 'welcome-invitation']) {
	byId(id).addEventListener('click', () => post({ type: 'connect' }));
}

byId<HTMLFormElement>('composer').addEventListener('submit', (event) => {
	event.preventDefault();
	const text = input.value.trim();
	// Too long to send: the question stays in the box, with why (the extension would drop it).
	composerNote.hidden = text.length <= MAX_MESSAGE_LENGTH;
	composerNote.textContent = composerNote.hidden
		? ''
		: `This message is ${text.length.toLocaleString('en-US')} characters long; the most one message can be is ${MAX_MESSAGE_LENGTH.toLocaleString('en-US')}. Shorten it to send it.`;
	if (text && !busy && composerNote.hidden) {
		post({ type: 'send', text });
		input.value = '';
		saveDraft();
		// Busy until the extension's next state says otherwise: a second question typed at once is kept too.
		busy = true;
	}
});
input.addEventListener('input', saveDraft);
input.addEventListener('keydown', (event) => {
	if (event.key === 'Enter' && !event.shiftKey) {
		event.preventDefault();
		byId<HTMLFormElement>('composer').requestSubmit();
	}
});
stop.addEventListener('click', () => post({ type: 'stop' }));
byId('clear').addEventListener('click', () => {
	post({ type: 'clear' });
	announce('Conversation cleared.');
});
byId('undo-clear').addEventListener('click', () => {
	post({ type: 'undoClear' });
	announce('Conversation restored.');
	input.focus();
});
byId('badge').addEventListener('click', () => post({ type: 'selectProvider' }));
modelSelect.addEventListener('change', () => post({ type: 'selectModel', model: modelSelect.value }));
effortSelect.addEventListener('change', () =>
	post({ type: 'selectEffort', ...(effortSelect.value ? { effort: effortSelect.value } : {}) }),
);

const saved = vscode.getState() as { draft?: string } | undefined;
input.value = saved?.draft ?? '';
post({ type: 'ready' });
