import assert from 'node:assert/strict';
import { apiKeyCredential, createChatClient, createDispatcher, fetchThrough, type ChatCompletionMessageParam } from '../../src/client';
import { MISSING_TOOL_RESULT, ROLE, toChatMessages, type RequestMessage } from '../../src/extension/lm/messages';
import { FakeEndpoint, strictTemplateProblem } from '../support/fake-endpoint';

const text = (value: string) => ({ value });
const call = (callId: string, name: string, input: object) => ({ callId, name, input });
const result = (callId: string, value: string) => ({ callId, content: [text(value)] });

/** Cline (and Roo Code): the instructions as the first message, with the Assistant role, then the task. */
const clineShaped: RequestMessage[] = [
	{ role: ROLE.assistant, content: [text('You are Cline, a highly skilled software engineer…')] },
	{ role: ROLE.user, content: [text('<task>Fix the build</task>')] },
	{ role: ROLE.assistant, content: [call('call_1', 'read_file', { path: 'package.json' })] },
	{ role: ROLE.user, content: [result('call_1', '{ "name": "app" }')] },
	{ role: ROLE.user, content: [text('Also check the tests.')] },
];
/** An interrupted turn: a tool call the member cancelled, so no result ever came, then a new question. */
const interrupted: RequestMessage[] = [
	{ role: ROLE.user, content: [text('List the files')] },
	{ role: ROLE.assistant, content: [text('Listing…'), call('call_9', 'list_files', { path: '.' })] },
	{ role: ROLE.user, content: [text('Never mind, what time is it?')] },
];
/** Roo Code's shape: a system prompt as its own role, the user's turn, and an image for a model that takes none. */
const rooShaped: RequestMessage[] = [
	{ role: ROLE.system, content: [text('You are Roo, a coding agent.')] },
	{ role: ROLE.user, content: [text('Look at this screenshot'), { mimeType: 'image/png', data: new Uint8Array([137, 80]) }] },
];

describe('requests strict endpoints accept, whatever the assistant sent', () => {
	it("turns Cline's Assistant-first instructions into the system message, and joins consecutive user turns", () => {
		const messages = toChatMessages(clineShaped, { imageInput: false });
		assert.deepEqual(
			messages.map((message) => message.role),
			['system', 'user', 'assistant', 'tool', 'user'],
		);
		assert.equal(messages[0]!.content, 'You are Cline, a highly skilled software engineer…');
		assert.equal(strictTemplateProblem(messages as never), undefined);
	});

	it('gives a tool call that got no result a stated one, so the next request is valid', () => {
		const messages = toChatMessages(interrupted, { imageInput: false });
		assert.deepEqual(
			messages.map((message) => [message.role, 'tool_call_id' in message ? message.tool_call_id : undefined]),
			[
				['user', undefined],
				['assistant', undefined],
				['tool', 'call_9'],
				['user', undefined],
			],
		);
		assert.equal(messages[2]!.content, MISSING_TOOL_RESULT);
		assert.equal(strictTemplateProblem(messages as never), undefined);
	});

	it('puts the instructions in the developer role for a reasoning model (its settings say so)', () => {
		const messages = toChatMessages(clineShaped, { imageInput: false, instructionsRole: 'developer' });
		assert.equal(messages[0]!.role, 'developer');
		assert.equal(toChatMessages(rooShaped, { imageInput: false, instructionsRole: 'developer' })[0]!.role, 'developer');
	});

	describe('on the wire, against a chat template that enforces alternation', () => {
		let endpoint: FakeEndpoint;
		const dispatcher = createDispatcher({ headersTimeoutMs: 2000, connectTimeoutMs: 2000 });
		beforeEach(async () => {
			endpoint = await FakeEndpoint.start();
			endpoint.behaviour = { strictTemplate: true };
		});
		afterEach(() => endpoint.close());

		const send = async (messages: ChatCompletionMessageParam[], userAgent?: string) => {
			const client = createChatClient(
				{ baseUrl: `${endpoint.url}/v1`, headers: {}, apiKeyRequired: true },
				{ fetch: fetchThrough(dispatcher), credentials: apiKeyCredential(async () => 'sk-test'), ...(userAgent ? { userAgent } : {}) },
			);
			let answer = '';
			for await (const event of client.streamCompletion({ model: 'llama', messages })) {
				answer += event.type === 'text' ? event.text : '';
			}
			return answer;
		};

		/** What the assistant sent, passed on as it was (what the client did before), and how the template answers. */
		const asSent: Record<string, [ChatCompletionMessageParam[], RegExp]> = {
			Cline: [
				[
					{ role: 'assistant', content: 'You are Cline, a highly skilled software engineer…' },
					{ role: 'user', content: '<task>Fix the build</task>' },
				],
				/Conversation roles must alternate/,
			],
			'an interrupted tool turn': [
				[
					{ role: 'user', content: 'List the files' },
					{
						role: 'assistant',
						content: 'Listing…',
						tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'list_files', arguments: '{"path":"."}' } }],
					},
					{ role: 'user', content: 'Never mind, what time is it?' },
				],
				/tool calls without results: call_9/,
			],
		};
		for (const [name, conversation] of [
			['Cline', clineShaped],
			['an interrupted tool turn', interrupted],
			['Roo Code', rooShaped],
		] as const) {
			it(`accepts ${name}'s conversation as translated${asSent[name] ? '; the conversation as sent is refused' : ''}`, async () => {
				assert.equal(await send(toChatMessages(conversation, { imageInput: false })), 'Hello from the endpoint ✓');
				const sent = endpoint.requests.at(-1)!.body as { messages: { role: string }[] };
				assert.ok(['system', 'user'].includes(sent.messages[0]!.role), 'system or user first');
				const raw = asSent[name];
				if (raw) {
					await assert.rejects(send(raw[0]), raw[1]);
				}
			});
		}

		it("sends an honest User-Agent instead of the SDK's minified one", async () => {
			await send([{ role: 'user', content: 'hi' }], 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)');
			assert.equal(endpoint.requests.at(-1)!.headers['user-agent'], 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)');
		});
	});
});
