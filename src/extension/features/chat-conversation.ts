import { randomBytes } from 'node:crypto';
import type { ChatEntry } from '../../webview/chat/protocol';
import type { ChatTranscript } from './chat-transcript';

export interface ChatTurn {
	readonly question: ChatEntry;
	readonly answer: ChatEntry;
}

/**
 * The chat view's conversation: its entries, kept in the transcript, marked where the endpoint
 * changed (what came before is not sent to the new one), and emptied by *New conversation* with an
 * undo until the next question.
 */
export class ChatConversation {
	readonly entries: ChatEntry[];
	/** The endpoint the conversation's context was sent to; a change marks the transcript. */
	private endpoint: string | undefined;
	/** What *New conversation* emptied, while it may still be brought back (in memory only). */
	private cleared: ChatEntry[] | undefined;

	constructor(
		private readonly transcript: ChatTranscript,
		endpointNow: string | undefined,
		private readonly warn: (message: string) => void,
	) {
		const restored = transcript.restore();
		this.entries = restored?.entries ?? [];
		this.endpoint = restored ? restored.endpoint : endpointNow;
		// The endpoint may have moved while VS Code was closed: the restored transcript says so too.
		this.markEndpoint(endpointNow);
	}

	/**
	 * The organization (or the member) moved to another endpoint: the answers of the previous one
	 * are not sent to it. Returns whether the conversation gained a divider saying so.
	 */
	markEndpoint(now: string | undefined): boolean {
		if (now === this.endpoint) {
			return false;
		}
		this.endpoint = now;
		const last = this.entries.at(-1);
		if (!last) {
			return false;
		}
		const content = now
			? `The endpoint changed to ${new URL(now).host}: the messages above are not sent to it.`
			: 'No endpoint is in use now: the messages above will not be sent to the next one.';
		if (last.role === 'divider') {
			// Nothing was asked since the last change: its one marker says where things stand now.
			if (last.content === content) {
				return false;
			}
			last.content = content;
		} else {
			this.entries.push({ id: newId(), role: 'divider', content });
		}
		this.persist();
		return true;
	}

	/** A question and its answer, to be filled as it streams; the emptied conversation can no longer come back. */
	ask(text: string): ChatTurn {
		const question: ChatEntry = { id: newId(), role: 'user', content: text };
		const answer: ChatEntry = { id: newId(), role: 'assistant', content: '' };
		this.cleared = undefined;
		this.entries.push(question, answer);
		this.persist();
		return { question, answer };
	}

	/** What is sent with the next question: the turns since the last endpoint change, without failures. */
	context(answer: ChatEntry): { role: 'user' | 'assistant'; content: string }[] {
		const since = this.entries.findLastIndex((entry) => entry.role === 'divider') + 1;
		return this.entries
			.slice(since)
			.filter((entry) => entry !== answer && !entry.error && entry.role !== 'divider')
			.map(({ role, content }) => ({ role: role as 'user' | 'assistant', content }));
	}

	/** The question a failed answer answered. */
	questionOf(answer: ChatEntry | undefined): ChatEntry | undefined {
		const index = answer ? this.entries.indexOf(answer) : -1;
		const question = index > 0 ? this.entries[index - 1] : undefined;
		return question?.role === 'user' ? question : undefined;
	}

	find(id: string): ChatEntry | undefined {
		return this.entries.find((entry) => entry.id === id);
	}

	/** *New conversation*: emptied here and in the transcript; {@link undoClear} brings it back until the next question. */
	clear(): void {
		if (this.entries.length) {
			this.cleared = this.entries.splice(0);
			this.persist();
		}
	}

	get canUndoClear(): boolean {
		return this.cleared !== undefined && this.entries.length === 0;
	}

	undoClear(): boolean {
		const cleared = this.canUndoClear ? this.cleared : undefined;
		this.cleared = undefined;
		if (!cleared) {
			return false;
		}
		this.entries.push(...cleared);
		this.persist();
		return true;
	}

	/** Keeps the conversation for the next session; a write that fails costs only that. */
	persist(): void {
		void Promise.resolve(this.transcript.save(this.entries, this.endpoint)).catch((error: unknown) =>
			this.warn(`could not keep the chat transcript: ${String(error)}`),
		);
	}
}

function newId(): string {
	return randomBytes(6).toString('hex');
}
