import type { CompletionEvent } from './completion';

const OPEN = '<think>';
const CLOSE = '</think>';

/** How long the end of `text` could be the start of `tag`, cut at a chunk boundary. */
function partialTagAt(text: string, tag: string): number {
	for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
		if (tag.startsWith(text.slice(-length))) {
			return length;
		}
	}
	return 0;
}

/**
 * An answer that opens with `<think>…</think>` as its first words: a reasoning model (DeepSeek-R1,
 * QwQ, Qwen3) served without a reasoning parser, as text-generation-inference and a plain vLLM serve
 * them, writes its thinking into the answer itself. It comes out as thinking, so the chat view shows
 * it folded and does not send it back with the next question; tags split across pieces are joined.
 * Only a leading `<think>` counts: the tag anywhere else is part of the answer (code about it, say).
 */
export async function* thinkTagsAsReasoning(events: AsyncIterable<CompletionEvent>): AsyncGenerator<CompletionEvent> {
	// `answering`: the thought ended; the blank lines before the answer's first words are dropped.
	let state: 'start' | 'thinking' | 'answering' | 'answer' = 'start';
	let held = '';
	for await (const event of events) {
		if (event.type !== 'text' || state === 'answer') {
			if (event.type !== 'text' && held) {
				// The answer ended (or a tool call came) with words still held: they are what they were.
				yield state === 'thinking' ? { type: 'reasoning', text: held } : { type: 'text', text: held };
				held = '';
				state = 'answer';
			}
			yield event;
			continue;
		}
		if (state === 'answering') {
			const words = event.text.trimStart();
			if (words) {
				state = 'answer';
				yield { type: 'text', text: words };
			}
			continue;
		}
		held += event.text;
		if (state === 'start') {
			const leading = held.trimStart();
			if (leading.startsWith(OPEN)) {
				state = 'thinking';
				held = leading.slice(OPEN.length);
			} else if (OPEN.startsWith(leading)) {
				continue; // whitespace or part of the tag so far: not decided yet
			} else {
				state = 'answer';
				yield { type: 'text', text: held };
				held = '';
				continue;
			}
		}
		const close = held.indexOf(CLOSE);
		if (close >= 0) {
			const thought = held.slice(0, close);
			const answer = held.slice(close + CLOSE.length).trimStart();
			held = '';
			state = answer ? 'answer' : 'answering';
			if (thought) {
				yield { type: 'reasoning', text: thought };
			}
			if (answer) {
				yield { type: 'text', text: answer };
			}
			continue;
		}
		const keep = partialTagAt(held, CLOSE);
		if (held.length > keep) {
			yield { type: 'reasoning', text: held.slice(0, held.length - keep) };
			held = held.slice(held.length - keep);
		}
	}
	if (held) {
		yield state === 'thinking' ? { type: 'reasoning', text: held } : { type: 'text', text: held };
	}
}
