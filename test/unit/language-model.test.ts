import assert from 'node:assert/strict';
import {
	apiKeyCredential,
	ChatRequestError,
	createChatClient,
	createDispatcher,
	fetchThrough,
	type CompletionEvent,
	type EffectiveProvider,
} from '../../src/client';
import { countTokens } from '../../src/client/tokenizer';
import { reportCompletion, respond, ROLE, toChatMessages, toChatTools, type RequestMessage } from '../../src/extension/lm/messages';
import { Emitter } from '../../src/extension/base/disposable';
import { estimateTokens, modelInformation, tokenizerFor } from '../../src/extension/lm/model-information';
import { effectiveSettings } from '../../src/extension/lock/effective';
import { buildPolicyDocument, ModelSettingsSchema, PolicySettingsSchema, requestParameters } from '../../src/policy';
import { FakeEndpoint } from '../support/fake-endpoint';
import { openAiSchema } from '../support/openai-spec';
import { stamp, validSettings } from '../support/policy-fixtures';

// VS Code's parts as the host builds them (classes of the vscode module, recognized by shape).
const text = (value: string) => ({ value });
const toolCall = (callId: string, name: string, input: object) => ({ callId, name, input });
const toolResult = (callId: string, content: unknown[]) => ({ callId, content });
const image = (mimeType: string, bytes: number[]) => ({ mimeType, data: new Uint8Array(bytes) });

const conversation: RequestMessage[] = [
	{ role: ROLE.user, content: [text('What is the weather in Paris?')], name: undefined },
	{ role: ROLE.assistant, content: [text('Let me check.'), toolCall('call_1', 'get_weather', { city: 'Paris' })], name: undefined },
	{
		role: ROLE.user,
		content: [toolResult('call_1', [text('18 °C, sunny')]), text('And this picture?'), image('image/png', [137, 80, 78, 71])],
		name: undefined,
	},
];

const tools = [
	{
		name: 'get_weather',
		description: 'Current weather for a city',
		inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
	},
];

describe('Language Model provider: translation', function () {
	this.timeout(30_000);

	it("turns VS Code's messages into chat-completions messages: tool calls, tool results right after them, images as data URLs", () => {
		assert.deepEqual(toChatMessages(conversation), [
			{ role: 'user', content: 'What is the weather in Paris?' },
			{
				role: 'assistant',
				content: 'Let me check.',
				tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
			},
			{ role: 'tool', tool_call_id: 'call_1', content: '18 °C, sunny' },
			{
				role: 'user',
				content: [
					{ type: 'text', text: 'And this picture?' },
					{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw==' } },
				],
			},
		]);
	});

	it('sends requests that match the published OpenAI CreateChatCompletionRequest schema', () => {
		const validate = openAiSchema('CreateChatCompletionRequest');
		const body = {
			model: 'gpt-4o',
			messages: toChatMessages(conversation),
			stream: true,
			tools: toChatTools(tools),
			tool_choice: 'required',
		};
		assert.equal(validate(body), true, JSON.stringify(validate.errors));
		assert.equal(validate({ ...body, messages: [{ role: 'tool', content: 'no call id' }] }), false, 'the schema check can fail');
		const system = toChatMessages([
			{ role: ROLE.system, content: [text('Be brief.')], name: undefined },
			{ role: ROLE.user, content: [toolResult('c', [{ value: { nested: true } }])], name: undefined },
		]);
		assert.equal(validate({ model: 'm', messages: system }), true, JSON.stringify(validate.errors));
	});

	it('maps tools to function tools with their JSON schema, and a tool without one to an empty object schema', () => {
		assert.deepEqual(toChatTools([...tools, { name: 'now', description: 'The time', inputSchema: undefined }]), [
			{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: tools[0]!.inputSchema } },
			{ type: 'function', function: { name: 'now', description: 'The time', parameters: { type: 'object', properties: {} } } },
		]);
	});

	it('reports text and whole tool calls to the sink, in order', async () => {
		async function* events(): AsyncGenerator<CompletionEvent> {
			yield { type: 'text', text: 'Checking' };
			yield { type: 'tool-call', id: 'call_9', name: 'get_weather', input: { city: 'Oslo' } };
			yield { type: 'end', reason: 'tool_calls' };
		}
		const seen: unknown[] = [];
		const reason = await reportCompletion(events(), {
			text: (value) => seen.push(['text', value]),
			toolCall: (id, name, input) => seen.push(['tool', id, name, input]),
		});
		assert.deepEqual(seen, [
			['text', 'Checking'],
			['tool', 'call_9', 'get_weather', { city: 'Oslo' }],
		]);
		assert.equal(reason, 'tool_calls');
	});
});

describe('Language Model provider: the streamed answer on the wire', function () {
	this.timeout(30_000);
	let endpoint: FakeEndpoint;
	const dispatcher = createDispatcher({ headersTimeoutMs: 2000, connectTimeoutMs: 2000 });
	const provider = (): EffectiveProvider => ({ baseUrl: `${endpoint.url}/v1`, headers: { 'X-Tenant': 'acme' }, apiKeyRequired: true });
	const client = () =>
		createChatClient(provider(), { fetch: fetchThrough(dispatcher), credentials: apiKeyCredential(async () => 'sk-test') });
	const collect = async (request: Parameters<ReturnType<typeof client>['streamCompletion']>[0]) => {
		const events: CompletionEvent[] = [];
		for await (const event of client().streamCompletion(request)) {
			events.push(event);
		}
		return events;
	};

	beforeEach(async () => {
		endpoint = await FakeEndpoint.start();
	});
	afterEach(async () => endpoint.close());

	it('assembles tool-call argument pieces by index into whole calls, then reports the finish reason', async () => {
		endpoint.behaviour = {
			toolCalls: [
				{ id: 'call_a', name: 'get_weather', argumentPieces: ['{"ci', 'ty":"Pa', 'ris"}'] },
				{ id: 'call_b', name: 'now', argumentPieces: [''] },
			],
			splitBytes: 7,
		};
		const events = await collect({
			model: 'gpt-4o',
			messages: toChatMessages(conversation.slice(0, 1)),
			tools: toChatTools(tools),
			toolChoice: 'required',
		});
		assert.deepEqual(events, [
			{ type: 'tool-call', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
			{ type: 'tool-call', id: 'call_b', name: 'now', input: {} },
			{ type: 'end', reason: 'tool_calls', usage: { input: 9, output: 6, cached: 0, reasoning: 0 } },
		]);
		const body = endpoint.requests.at(-1)!.body as Record<string, unknown>;
		assert.equal(body.tool_choice, 'required');
		const validate = openAiSchema('CreateChatCompletionRequest');
		assert.equal(validate(body), true, JSON.stringify(validate.errors));
	});

	it('refuses tool-call arguments that are not a JSON object, naming the tool', async () => {
		endpoint.behaviour = { toolCalls: [{ id: 'call_x', name: 'get_weather', argumentPieces: ['{"city": Par'] }] };
		await assert.rejects(
			collect({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], tools: toChatTools(tools) }),
			(error: unknown) => {
				assert.ok(error instanceof ChatRequestError);
				assert.match(error.message, /The model called the tool "get_weather" with arguments that are not a JSON object/);
				return true;
			},
		);
	});

	const unfinished: [string, string | null, RegExp][] = [
		['length', 'length', /The answer was cut off: it reached the maximum output length/],
		['content_filter', 'content_filter', /content filter stopped the answer/],
		['no finish reason', null, /ended before the endpoint finished it/],
	];
	for (const [name, finishReason, message] of unfinished) {
		it(`ends an answer with ${name} with an error after the text it brought`, async () => {
			endpoint.behaviour = { answer: ['Partial', ' answer'], finishReason };
			const texts: string[] = [];
			await assert.rejects(
				(async () => {
					for await (const event of client().streamCompletion({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })) {
						if (event.type === 'text') {
							texts.push(event.text);
						}
					}
				})(),
				message,
			);
			assert.equal(texts.join(''), 'Partial answer');
		});
	}

	it('cancelling the request token aborts the HTTP request itself, mid-stream', async () => {
		endpoint.behaviour = { answer: Array.from({ length: 40 }, (_, index) => `piece ${index} `), splitBytes: 120, chunkDelayMs: 50 };
		const cancelled = new Emitter<void>();
		const token = { isCancellationRequested: false, onCancellationRequested: cancelled.event };
		const texts: string[] = [];
		const outcome = await respond(
			(signal) => client().streamCompletion({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, signal),
			token,
			{
				text: (value) => {
					texts.push(value);
					token.isCancellationRequested = true;
					cancelled.fire();
				},
				toolCall: () => assert.fail('no tool call expected'),
			},
		);
		assert.equal(outcome, 'cancelled');
		assert.ok(texts.length < 5, `stopped after ${texts.length} pieces`);
		const request = endpoint.requests.at(-1)!;
		const deadline = Date.now() + 2000;
		while (!request.aborted && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		assert.equal(request.aborted, true, 'the endpoint saw the connection closed before the answer was complete');
	});

	it('sends the parameters the policy pins for a reasoning model, and none it forbids', async () => {
		const settings = ModelSettingsSchema.parse({ reasoning: true, maxOutputTokens: 2000, pinned: { reasoning_effort: 'low' } });
		const parameters = requestParameters(settings, { temperature: 0.2, max_tokens: 8000, top_p: 0.5 });
		assert.deepEqual(parameters, { reasoning_effort: 'low', max_completion_tokens: 2000 });
		await collect({ model: 'prod-chat', messages: [{ role: 'user', content: 'hi' }], parameters });
		const body = endpoint.requests.at(-1)!.body as Record<string, unknown>;
		assert.equal(body.temperature, undefined);
		assert.equal(body.max_completion_tokens, 2000);
		assert.equal(openAiSchema('CreateChatCompletionRequest')(body), true);
		assert.deepEqual(
			requestParameters(ModelSettingsSchema.parse({ forbidden: ['temperature'], pinned: { top_p: 0.9 }, maxOutputTokens: 100 }), {
				temperature: 1,
				max_tokens: 50,
			}),
			{ top_p: 0.9, max_tokens: 50 },
		);
	});

	it("pins a gpt-5 model's verbosity (schema 3), sent as Chat Completions' verbosity; an assistant's own is honoured unless forbidden", async () => {
		const terse = ModelSettingsSchema.parse({ reasoning: true, pinned: { verbosity: 'low' } });
		const parameters = requestParameters(terse, { verbosity: 'high' });
		assert.deepEqual(parameters, { verbosity: 'low' });
		await collect({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], parameters });
		const body = endpoint.requests.at(-1)!.body as Record<string, unknown>;
		assert.equal(body.verbosity, 'low');
		assert.equal(openAiSchema('CreateChatCompletionRequest')(body), true);
		assert.deepEqual(requestParameters(ModelSettingsSchema.parse({}), { verbosity: 'high' }), { verbosity: 'high' });
		assert.deepEqual(requestParameters(ModelSettingsSchema.parse({ forbidden: ['verbosity'] }), { verbosity: 'high' }), {});
	});
});

describe('Language Model provider: model information and token counts', () => {
	const policy = (models: unknown) =>
		buildPolicyDocument(
			PolicySettingsSchema.parse({ ...validSettings.azureDeployment, provider: { ...validSettings.azureDeployment.provider, models } }),
			stamp,
		);

	it("describes exactly the policy's models with the organization's per-model settings, and says who manages them", () => {
		const document = policy({
			allowed: ['gpt-4o', 'prod-reasoner'],
			settings: {
				'prod-reasoner': { displayName: 'Reasoner', contextWindow: 200_000, maxOutputTokens: 32_000, imageInput: true, toolCalling: false },
			},
		});
		const effective = effectiveSettings(document, { preset: 'openai', baseUrl: undefined, headers: {} });
		const [plain, reasoner] = modelInformation(effective, ['gpt-4o', 'prod-reasoner']);
		assert.deepEqual(reasoner, {
			id: 'prod-reasoner',
			name: 'Reasoner',
			family: 'prod-reasoner',
			version: 'prod-reasoner',
			maxInputTokens: 200_000,
			maxOutputTokens: 32_000,
			capabilities: { toolCalling: false, imageInput: true },
			detail: 'Managed by Acme Corp · ai-platform@acme.example',
			tooltip: "prod-reasoner on acme.openai.azure.com, set by Acme Corp's policy: requests carry its headers and credentials.",
		});
		assert.equal(plain?.maxInputTokens, 128_000, 'a model without settings takes the documented defaults');
	});

	it('counts tokens with the public encoding where known, the policy naming it for any deployment, and estimates otherwise', () => {
		assert.equal(tokenizerFor('gpt-4o-mini', undefined), 'o200k_base');
		assert.equal(tokenizerFor('gpt-35-turbo', undefined), 'cl100k_base');
		assert.equal(tokenizerFor('prod-chat', undefined), undefined);
		assert.equal(tokenizerFor('prod-chat', ModelSettingsSchema.parse({ tokenizer: 'o200k_base' })), 'o200k_base');
		assert.equal(countTokens('o200k_base', 'Hello, world!'), 4);
		assert.equal(countTokens('cl100k_base', 'Hello, world!'), 4);
		assert.equal(estimateTokens('Hello, world!'), 4);
	});
});
