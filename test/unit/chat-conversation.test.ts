import assert from 'node:assert/strict';
import { ChatConversation } from '../../src/extension/features/chat-conversation';
import { ChatTranscript } from '../../src/extension/features/chat-transcript';
import { MemoryKeyValueStore } from '../support/memory-storage';

const KEY = 'orgProviderPolicy.chat.transcript';
const ENDPOINT = 'https://ai.acme.example/openai';
const OTHER = 'https://other.acme.example/v1';

/** Writes to the transcript are not awaited by the conversation: let them land. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

function answered(conversation: ChatConversation, question: string, answer: string): void {
	conversation.ask(question).answer.content = answer;
	conversation.persist();
}

describe("the chat view's conversation", () => {
	it('brings back what New conversation emptied, here and in the transcript, until the next question', async () => {
		const state = new MemoryKeyValueStore();
		const conversation = new ChatConversation(new ChatTranscript(state), ENDPOINT, assert.fail);
		answered(conversation, 'Question 1', 'Answer 1');
		const before = structuredClone(conversation.entries);
		assert.equal(conversation.canUndoClear, false, 'nothing was emptied yet');

		conversation.clear();
		await settled();
		assert.equal(conversation.entries.length, 0);
		assert.equal(state.get(KEY), undefined, 'emptied in the transcript too');
		assert.equal(conversation.canUndoClear, true);

		assert.equal(conversation.undoClear(), true);
		await settled();
		assert.deepEqual(conversation.entries, before);
		assert.deepEqual(new ChatTranscript(state).restore()?.entries, before, 'kept again');
		assert.equal(conversation.canUndoClear, false);
		assert.equal(conversation.undoClear(), false, 'once');

		conversation.clear();
		conversation.ask('Question 2');
		assert.equal(conversation.canUndoClear, false, 'a new question ends the undo');
		assert.equal(conversation.undoClear(), false);
		assert.deepEqual(
			conversation.entries.map((entry) => entry.content),
			['Question 2', ''],
		);
	});

	it('marks where the endpoint changed, also while VS Code was closed, and sends nothing from before it', async () => {
		const state = new MemoryKeyValueStore();
		const first = new ChatConversation(new ChatTranscript(state), ENDPOINT, assert.fail);
		assert.equal(first.markEndpoint(OTHER), false, 'an empty conversation has nothing to mark');
		assert.equal(first.markEndpoint(ENDPOINT), false);
		answered(first, 'Question 1', 'Answer 1');
		await settled();

		const reopened = new ChatConversation(new ChatTranscript(state), OTHER, assert.fail);
		assert.equal(reopened.entries.at(-1)?.content, 'The endpoint changed to other.acme.example: the messages above are not sent to it.');
		assert.equal(reopened.markEndpoint(OTHER), false, 'marked once');
		const { answer } = reopened.ask('Question 2');
		assert.deepEqual(reopened.context(answer), [{ role: 'user', content: 'Question 2' }]);
		assert.equal(reopened.questionOf(answer)?.content, 'Question 2');
		assert.equal(reopened.questionOf(reopened.entries[0]), undefined, 'a question has no question');

		assert.equal(reopened.markEndpoint(undefined), true);
		assert.equal(reopened.entries.at(-1)?.content, 'No endpoint is in use now: the messages above will not be sent to the next one.');
		// An endpoint again before anything was asked: the one marker says where things stand now.
		assert.equal(reopened.markEndpoint(ENDPOINT), true);
		assert.deepEqual(
			reopened.entries.filter((entry) => entry.role === 'divider').map((entry) => entry.content),
			[
				'The endpoint changed to other.acme.example: the messages above are not sent to it.',
				'The endpoint changed to ai.acme.example: the messages above are not sent to it.',
			],
		);
	});

	it("keeps a reasoning model's thinking with its answer across a restart, and never sends it back", async () => {
		const state = new MemoryKeyValueStore();
		const conversation = new ChatConversation(new ChatTranscript(state), ENDPOINT, assert.fail);
		const first = conversation.ask('Question 1');
		first.answer.reasoning = 'The member asks a question.';
		first.answer.content = 'Answer 1';
		conversation.persist();
		await settled();

		const reopened = new ChatConversation(new ChatTranscript(state), ENDPOINT, assert.fail);
		assert.equal(reopened.entries[1]?.reasoning, 'The member asks a question.');
		const { answer } = reopened.ask('Question 2');
		assert.deepEqual(reopened.context(answer), [
			{ role: 'user', content: 'Question 1' },
			{ role: 'assistant', content: 'Answer 1' },
			{ role: 'user', content: 'Question 2' },
		]);
	});

	it('says so in the log when the transcript cannot be written, and keeps the conversation', async () => {
		const state = new MemoryKeyValueStore();
		state.update = () => Promise.reject(new Error('the workspace state is read-only'));
		const warnings: string[] = [];
		const conversation = new ChatConversation(new ChatTranscript(state), ENDPOINT, (message) => warnings.push(message));
		conversation.ask('Question 1');
		await settled();
		assert.deepEqual(warnings, ['could not keep the chat transcript: Error: the workspace state is read-only']);
		assert.equal(conversation.entries.length, 2);
	});
});
