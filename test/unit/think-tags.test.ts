import assert from 'node:assert/strict';
import type { CompletionEvent } from '../../src/client/completion';
import { thinkTagsAsReasoning } from '../../src/client/think-tags';

async function split(pieces: string[], end: CompletionEvent[] = [{ type: 'end', reason: 'stop' }]) {
	async function* events(): AsyncGenerator<CompletionEvent> {
		for (const text of pieces) {
			yield { type: 'text', text };
		}
		yield* end;
	}
	const out: CompletionEvent[] = [];
	for await (const event of thinkTagsAsReasoning(events())) {
		out.push(event);
	}
	const said = (type: 'text' | 'reasoning') =>
		out
			.filter((event) => event.type === type)
			.map((event) => (event as { text: string }).text)
			.join('');
	return { thought: said('reasoning'), answer: said('text'), last: out.at(-1)?.type };
}

/** The text in pieces of `size` characters, as a stream may cut it anywhere (inside a tag too). */
const piecesOf = (text: string, size: number) =>
	Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, i * size + size));

describe('an answer that opens with <think>…</think> (a reasoning model served without a reasoning parser)', () => {
	const whole = '\n<think>\nThe member asks which is greater.\n</think>\n\n9.8 is greater.';

	it('gives the thinking as thinking and the rest as the answer, however the stream cuts the tags', async () => {
		for (let size = 1; size <= whole.length; size++) {
			assert.deepEqual(
				await split(piecesOf(whole, size)),
				{ thought: '\nThe member asks which is greater.\n', answer: '9.8 is greater.', last: 'end' },
				`pieces of ${size}`,
			);
		}
	});

	it('leaves an answer alone that does not open with the tag, or mentions it later', async () => {
		for (const text of ['9.8 is greater.', 'Use a <think> tag like this: <think>…</think>', '<thinking>not the tag</thinking>', '<th']) {
			for (let size = 1; size <= text.length; size++) {
				assert.deepEqual(await split(piecesOf(text, size)), { thought: '', answer: text, last: 'end' }, `${text} in pieces of ${size}`);
			}
		}
	});

	it('keeps what a stopped or unfinished thought said as thinking, and passes tool calls and the end through', async () => {
		assert.deepEqual(await split(['<think>Still thinking</thi'], []), { thought: 'Still thinking</thi', answer: '', last: 'reasoning' });
		const call: CompletionEvent = { type: 'tool-call', id: 'call_1', name: 'read_file', input: { path: 'a.ts' } };
		const withCall = await split(['<think>Read it first.</think>'], [call, { type: 'end', reason: 'tool_calls' }]);
		assert.deepEqual(withCall, { thought: 'Read it first.', answer: '', last: 'end' });
	});
});
