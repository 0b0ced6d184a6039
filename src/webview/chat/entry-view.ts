import MarkdownIt from 'markdown-it';
import type { ChatEntry, ErrorAction, FromWebview } from './protocol';

// html: false escapes any HTML in answers, so the rendered Markdown is safe to insert.
export const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false });

const ACTION_LABELS: Record<ErrorAction, string> = {
	setApiKey: 'Set API Key',
	signInWithMicrosoft: 'Sign in with Microsoft',
	tryAgain: 'Try again',
	copyDetails: 'Copy details',
	showLog: 'Show Log',
};

/** The spinner of an answer not begun yet (still under `prefers-reduced-motion`). */
const SPINNER = '<span class="codicon codicon-loading codicon-modifier-spin" aria-hidden="true"></span>';

/** What drawing an entry needs of the view around it. */
export interface EntryContext {
	/** The answer being streamed now, if any. */
	readonly streaming: ChatEntry | undefined;
	/** The model answers are asked of (the picker's choice). */
	readonly model: string | undefined;
	/** Thinking the member opened or closed themselves, by entry: their choice outlives every redraw. */
	readonly reasoningOpened: Map<string, boolean>;
	post(message: FromWebview): void;
	announce(text: string): void;
}

/** An answer not yet begun: no words and no thinking so far. */
const awaitingFirstWords = (entry: ChatEntry, context: EntryContext): boolean =>
	entry === context.streaming && !entry.content && !entry.error && !entry.stopped;

/**
 * The answer being asked for, before its first words: reasoning models may think for many seconds,
 * and an empty entry would look like nothing happened. Thinking the endpoint shows says so instead.
 */
const waits = (entry: ChatEntry, context: EntryContext): boolean => awaitingFirstWords(entry, context) && !entry.reasoning;

function waitingLine(context: EntryContext): HTMLElement {
	const waiting = document.createElement('div');
	waiting.className = 'waiting';
	waiting.innerHTML = `${SPINNER} `;
	waiting.append(document.createTextNode(`Waiting for ${context.model ?? 'the model'}…`));
	return waiting;
}

/**
 * The model's thinking, where the endpoint streams it: open while the model thinks, closed once the
 * answer begins (unless the member chose otherwise). Updated in place, so a click on it while it
 * streams is not lost to a redraw.
 */
function showReasoning(element: HTMLElement, entry: ChatEntry, context: EntryContext): void {
	let details = element.querySelector<HTMLDetailsElement>(':scope > details.reasoning');
	if (!entry.reasoning) {
		details?.remove();
		return;
	}
	const thinking = awaitingFirstWords(entry, context);
	if (!details) {
		details = document.createElement('details');
		details.className = 'reasoning';
		const summary = document.createElement('summary');
		summary.addEventListener('click', () => context.reasoningOpened.set(entry.id, !details!.open));
		const body = document.createElement('div');
		body.className = 'reasoning-body';
		details.append(summary, body);
		element.querySelector(':scope > .body')?.before(details);
	}
	details.open = context.reasoningOpened.get(entry.id) ?? thinking;
	details.querySelector('summary')!.innerHTML = thinking ? `${SPINNER} Thinking…` : 'Thinking';
	// Drawn again only when more came: while the answer streams below it, the thinking stays as it is.
	if (details.dataset.shown !== String(entry.reasoning.length)) {
		details.dataset.shown = String(entry.reasoning.length);
		details.querySelector<HTMLElement>('.reasoning-body')!.innerHTML = markdown.render(entry.reasoning);
	}
}

/** An answer's Markdown, each code block with a Copy button (the code only, as the member sees it). */
function renderAnswer(body: HTMLElement, content: string, context: EntryContext): void {
	body.innerHTML = markdown.render(content);
	for (const block of body.querySelectorAll('pre')) {
		const copy = document.createElement('button');
		copy.type = 'button';
		copy.className = 'icon copy-code';
		copy.title = 'Copy';
		copy.setAttribute('aria-label', 'Copy code');
		copy.innerHTML = '<span class="codicon codicon-copy" aria-hidden="true"></span>';
		copy.addEventListener('click', () => {
			context.post({ type: 'copy', text: block.querySelector('code')?.textContent ?? block.textContent ?? '' });
			context.announce('Copied.');
		});
		const frame = document.createElement('div');
		frame.className = 'code-block';
		block.replaceWith(frame);
		frame.append(copy, block);
	}
}

/** A streaming answer drawn again where it is: its thinking, its words, and the waiting line gone once either came. */
export function refreshEntry(element: HTMLElement, entry: ChatEntry, context: EntryContext): void {
	const body = element.querySelector<HTMLElement>(':scope > .body');
	if (!body) {
		return;
	}
	if (!waits(entry, context)) {
		element.querySelector(':scope > .waiting')?.remove();
	}
	showReasoning(element, entry, context);
	renderAnswer(body, entry.content, context);
}

export function renderEntry(entry: ChatEntry, context: EntryContext): HTMLElement {
	// A turn is an article; the endpoint's divider is a note between them (a separator's text would not be read).
	const element = document.createElement(entry.role === 'divider' ? 'div' : 'article');
	element.className = `entry ${entry.role}`;
	element.dataset.id = entry.id;
	const body = document.createElement('div');
	body.className = 'body';
	element.append(body);
	if (entry.role === 'assistant') {
		showReasoning(element, entry, context);
		renderAnswer(body, entry.content, context);
	} else {
		body.textContent = entry.content;
	}
	if (entry.role === 'divider') {
		element.setAttribute('role', 'note');
	}
	if (waits(entry, context)) {
		element.append(waitingLine(context));
	}
	if (entry.error) {
		element.append(...errorOf(entry, entry.error, context));
	}
	if (entry.stopped) {
		const stopped = document.createElement('div');
		stopped.className = 'stopped';
		stopped.textContent = 'Stopped.';
		element.append(stopped);
	}
	return element;
}

/** A failed answer's error, and what the member can do about it as buttons. */
function errorOf(entry: ChatEntry, message: string, context: EntryContext): HTMLElement[] {
	const error = document.createElement('div');
	error.className = 'error';
	error.innerHTML = '<span class="codicon codicon-error" aria-hidden="true"></span> ';
	error.append(document.createTextNode(message));
	if (!entry.actions?.length) {
		return [error];
	}
	const actions = document.createElement('div');
	actions.className = 'error-actions';
	for (const action of entry.actions) {
		const button = document.createElement('button');
		button.type = 'button';
		button.className = `secondary action-${action}`;
		button.textContent = ACTION_LABELS[action];
		button.addEventListener('click', () => context.post({ type: 'action', id: entry.id, action }));
		actions.append(button);
	}
	return [error, actions];
}
