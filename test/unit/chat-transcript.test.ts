import assert from 'node:assert/strict';
import { ChatTranscript } from '../../src/extension/features/chat-transcript';
import type { ChatEntry } from '../../src/webview/chat/protocol';
import { MemoryKeyValueStore } from '../support/memory-storage';

const KEY = 'orgProviderPolicy.chat.transcript';
const ENDPOINT = 'https://ai.acme.example/openai';
const turn = (n: number, answer = `Answer ${n}`): ChatEntry[] => [
	{ id: `q${n}`, role: 'user', content: `Question ${n}` },
	{ id: `a${n}`, role: 'assistant', content: answer },
];

describe("the chat view's transcript across reloads of VS Code", () => {
	it('comes back as it was kept, with the endpoint its context went to', async () => {
		const state = new MemoryKeyValueStore();
		const failed: ChatEntry = {
			id: 'a2',
			role: 'assistant',
			content: '',
			error: 'The endpoint rejected your API key (401).',
			actions: ['setApiKey', 'copyDetails', 'showLog'],
		};
		const entries = [...turn(1), { id: 'q2', role: 'user', content: 'Question 2' } as const, failed];
		await new ChatTranscript(state).save(entries, ENDPOINT);
		assert.deepEqual(new ChatTranscript(state).restore(), { entries, endpoint: ENDPOINT });
		assert.equal(new ChatTranscript(new MemoryKeyValueStore()).restore(), undefined, 'nothing kept yet');
	});

	it('keeps an answer that was streaming when VS Code closed as stopped, not as an empty answer', async () => {
		const state = new MemoryKeyValueStore();
		await new ChatTranscript(state).save([...turn(1), ...turn(2, '')], ENDPOINT);
		const restored = new ChatTranscript(state).restore();
		assert.deepEqual(restored?.entries.at(-1), { id: 'a2', role: 'assistant', content: '', stopped: true });
		assert.equal(restored?.entries[1]?.stopped, undefined, 'a finished answer stays as it was');
	});

	it('forgets the conversation when it is emptied (New conversation), and one it cannot read', async () => {
		const state = new MemoryKeyValueStore();
		const transcript = new ChatTranscript(state);
		await transcript.save(turn(1), ENDPOINT);
		await transcript.save([], ENDPOINT);
		assert.deepEqual(state.keys(), [], 'nothing is left behind');
		await state.update(KEY, { version: 2, entries: [] });
		assert.equal(transcript.restore(), undefined, 'a later version of the extension wrote it');
		await state.update(KEY, { version: 1, entries: [{ id: 'x', role: 'system', content: 'injected' }] });
		assert.equal(transcript.restore(), undefined, 'an entry the view cannot show');
	});

	it('keeps the newest 200 entries and at most 1,000,000 characters, dropping the oldest first', async () => {
		const state = new MemoryKeyValueStore();
		const transcript = new ChatTranscript(state);
		const long = Array.from({ length: 150 }, (_, n) => turn(n)).flat();
		await transcript.save(long, ENDPOINT);
		const kept = transcript.restore()?.entries ?? [];
		assert.equal(kept.length, 200);
		assert.equal(kept[0]?.id, 'q50');
		assert.equal(kept.at(-1)?.id, 'a149');

		const pasted = (n: number): ChatEntry => ({ id: `p${n}`, role: 'user', content: 'x'.repeat(500_000) });
		await transcript.save([pasted(1), pasted(2), pasted(3), pasted(4), ...turn(5)], undefined);
		const restored = transcript.restore();
		assert.deepEqual(
			restored?.entries.map((entry) => entry.id),
			['p4', 'q5', 'a5'],
		);
		assert.equal(restored?.endpoint, undefined);

		// A model's thinking weighs as much as its words: two long thoughts do not fit beside each other.
		const thought = (n: number): ChatEntry => ({ id: `t${n}`, role: 'assistant', content: 'ok', reasoning: 'y'.repeat(600_000) });
		await transcript.save([thought(1), thought(2)], undefined);
		assert.deepEqual(
			transcript.restore()?.entries.map((entry) => [entry.id, entry.reasoning?.length]),
			[['t2', 600_000]],
		);
	});
});
