import assert from 'node:assert/strict';
import {
	apiKeyCredential,
	ChatRequestError,
	createChatClient,
	createDispatcher,
	fetchThrough,
	type ChatClient,
	type CompletionEvent,
	type CompletionRequest,
	type EffectiveProvider,
} from '../../src/client';
import type { ModelSettings } from '../../src/policy';
import { ConnectProxy } from '../support/connect-proxy';
import { FakeEndpoint, makeTestCertificates, type RecordedRequest } from '../support/fake-endpoint';
import { responseEvents, type ResponsesBehaviour } from '../support/fake-responses';
import { openAiSchema, responseEventSchema } from '../support/openai-spec';

/**
 * Models only the Responses API serves (codex models on Azure), on the wire: HTTPS through a CONNECT
 * proxy mapping the real host names to the recording endpoint; request bodies and the streamed
 * events checked against OpenAI's published API description (vendored); the OpenAI, Azure v1 and
 * Azure classic URL forms; a tool round trip with encrypted reasoning carried across turns with
 * `store: false`; the incomplete and failed ends in the sentences the Chat Completions path gives.
 */

const KEY = 'sk-member-responses-key-0123456789';
const NAMES = ['*.openai.azure.com', 'llm.acme.example'];
const codex: ModelSettings = {
	api: 'responses',
	reasoning: true,
	toolCalling: true,
	imageInput: true,
	pinned: { reasoning_effort: 'xhigh' },
	forbidden: [],
	maxOutputTokens: 32_000,
};

const provider = (baseUrl: string, extra: Partial<EffectiveProvider> = {}): EffectiveProvider => ({
	baseUrl,
	headers: { 'X-Tenant': 'acme' },
	apiKeyRequired: true,
	models: { allowed: ['gpt-5.2-codex', 'gpt-4o'], settings: { 'gpt-5.2-codex': codex } },
	...extra,
});
const azureScope = 'https://cognitiveservices.azure.com/.default';

const FORMS: { name: string; provider: EffectiveProvider; path: string; query: Record<string, string[]>; auth: [string, string] }[] = [
	{
		name: 'a gateway (OpenAI-style /v1)',
		provider: provider('https://llm.acme.example/v1'),
		path: '/v1/responses',
		query: {},
		auth: ['authorization', `Bearer ${KEY}`],
	},
	{
		name: "Azure's v1 API",
		provider: provider('https://acme.openai.azure.com/openai/v1', { azure: { identityAuth: false, scope: azureScope } }),
		path: '/openai/v1/responses',
		query: {},
		auth: ['api-key', KEY],
	},
	{
		name: 'Azure classic, with api-version exactly once',
		provider: provider('https://acme.openai.azure.com', {
			azure: { apiVersion: '2025-04-01-preview', identityAuth: false, scope: azureScope },
		}),
		path: '/openai/responses',
		query: { 'api-version': ['2025-04-01-preview'] },
		auth: ['api-key', KEY],
	},
];

describe('models that speak only the Responses API, on the wire', function () {
	this.timeout(20_000);
	let certs: ReturnType<typeof makeTestCertificates>;
	let endpoint: FakeEndpoint;
	let proxy: ConnectProxy;

	before(async () => {
		certs = makeTestCertificates(NAMES);
		endpoint = await FakeEndpoint.start({ tls: { key: certs.key, cert: certs.cert } });
		const port = Number(new URL(endpoint.url).port);
		proxy = await ConnectProxy.start(
			new Map([
				['acme.openai.azure.com', port],
				['llm.acme.example', port],
			]),
		);
	});
	after(async () => {
		await proxy?.close();
		await endpoint?.close();
		certs?.cleanup();
	});
	beforeEach(() => {
		endpoint.behaviour = {};
		endpoint.requests.length = 0;
	});

	const client = (settings: EffectiveProvider): ChatClient =>
		createChatClient(settings, {
			fetch: fetchThrough(createDispatcher({ proxy: proxy.url, caFiles: [certs.caFile], env: {} })),
			credentials: apiKeyCredential(async () => KEY),
			proxy: () => proxy.host,
		});
	const collect = async (chat: ChatClient, request: CompletionRequest): Promise<CompletionEvent[]> => {
		const events: CompletionEvent[] = [];
		for await (const event of chat.streamCompletion(request)) {
			events.push(event);
		}
		return events;
	};
	const validRequest = (request: RecordedRequest) => {
		const validate = openAiSchema('CreateResponse');
		assert.ok(validate(request.body), JSON.stringify(validate.errors));
	};
	const parameters = { max_completion_tokens: 32_000, reasoning_effort: 'xhigh' };

	it("streams the fake's events as the published ResponseStreamEvent schema describes them", () => {
		const any = openAiSchema('ResponseStreamEvent');
		const behaviours: ResponsesBehaviour[] = [
			{},
			{ reasoning: true, toolCalls: [{ id: 'call_1', name: 'read_file', argumentPieces: ['{"pa', 'th":"a.ts"}'] }] },
			{ end: { kind: 'incomplete', reason: 'max_output_tokens' } },
			{ end: { kind: 'failed', code: 'server_error', message: 'The server had an error' } },
			{ end: { kind: 'error', code: 'server_error', message: 'The server is overloaded' } },
			{ refusal: ["I'm sorry, ", 'I cannot help with that.'] },
			{ reasoningSummary: [['**Reading**', ' the file'], ['**Answering**']], reasoningText: ['Let me ', 'think.'] },
		];
		for (const behaviour of behaviours) {
			const body = { model: 'gpt-5.2-codex', include: ['reasoning.encrypted_content'], reasoning: { summary: 'auto' } };
			for (const event of responseEvents(body, behaviour)) {
				const validate = responseEventSchema(String(event['type']));
				assert.ok(validate(event), `${String(event['type'])}: ${JSON.stringify(validate.errors)}`);
				assert.ok(any(event), `${String(event['type'])} is a ResponseStreamEvent`);
			}
		}
	});

	for (const form of FORMS) {
		it(`${form.name}: POST ${form.path}, the policy's header and the member's key, store: false`, async () => {
			const events = await collect(client(form.provider), {
				model: 'gpt-5.2-codex',
				messages: [
					{ role: 'system', content: 'You are a careful engineer.' },
					{ role: 'user', content: 'hello' },
				],
				parameters,
			});
			assert.deepEqual(
				events.filter((event) => event.type === 'text').map((event) => event.text),
				['Hello', ' from', ' the', ' endpoint', ' ✓'],
			);
			assert.deepEqual(events.at(-1), { type: 'end', reason: 'stop', usage: { input: 12, output: 7, cached: 0, reasoning: 0 } });
			const [request] = endpoint.requests as [RecordedRequest];
			assert.equal(endpoint.requests.length, 1);
			assert.equal(request.path, form.path);
			assert.deepEqual(request.query, form.query);
			assert.equal(request.headers[form.auth[0]], form.auth[1]);
			assert.equal(request.headers['x-tenant'], 'acme');
			validRequest(request);
			assert.deepEqual(request.body, {
				model: 'gpt-5.2-codex',
				instructions: 'You are a careful engineer.',
				input: [{ role: 'user', content: 'hello' }],
				max_output_tokens: 32_000,
				reasoning: { effort: 'xhigh' },
				stream: true,
				store: false,
				include: ['reasoning.encrypted_content'],
			});
		});
	}

	it('a tool round trip: function tools and tool_choice, the call assembled, its result and the encrypted reasoning carried back', async () => {
		endpoint.behaviour = {
			responses: { reasoning: true, toolCalls: [{ id: 'call_7', name: 'read_file', argumentPieces: ['{"pa', 'th":', '"src/a.ts"}'] }] },
		};
		const chat = client(FORMS[1]!.provider);
		const tools = [
			{
				type: 'function' as const,
				function: {
					name: 'read_file',
					description: 'Reads a file',
					parameters: { type: 'object', properties: { path: { type: 'string' } } },
				},
			},
		];
		const first = await collect(chat, {
			model: 'gpt-5.2-codex',
			messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in a.ts?' }] }],
			tools,
			toolChoice: 'required',
		});
		assert.deepEqual(first, [
			{ type: 'tool-call', id: 'call_7', name: 'read_file', input: { path: 'src/a.ts' } },
			{ type: 'end', reason: 'tool_calls', usage: { input: 12, output: 7, cached: 0, reasoning: 0 } },
		]);
		const firstBody = endpoint.requests[0]!.body as Record<string, unknown>;
		validRequest(endpoint.requests[0]!);
		assert.deepEqual(firstBody['tools'], [
			{
				type: 'function',
				name: 'read_file',
				description: 'Reads a file',
				parameters: { type: 'object', properties: { path: { type: 'string' } } },
				strict: false,
			},
		]);
		assert.equal(firstBody['tool_choice'], 'required');
		assert.deepEqual(firstBody['input'], [{ role: 'user', content: [{ type: 'input_text', text: 'What is in a.ts?' }] }]);

		const second = await collect(chat, {
			model: 'gpt-5.2-codex',
			messages: [
				{ role: 'user', content: 'What is in a.ts?' },
				{
					role: 'assistant',
					content: null,
					tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/a.ts"}' } }],
				},
				{ role: 'tool', tool_call_id: 'call_7', content: 'export const a = 1;' },
			],
			tools,
		});
		assert.equal(second.at(-1)?.type, 'end');
		validRequest(endpoint.requests[1]!);
		assert.deepEqual((endpoint.requests[1]!.body as Record<string, unknown>)['input'], [
			{ role: 'user', content: 'What is in a.ts?' },
			{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'enc-1' },
			{ type: 'function_call', call_id: 'call_7', name: 'read_file', arguments: '{"path":"src/a.ts"}' },
			{ type: 'function_call_output', call_id: 'call_7', output: 'export const a = 1;' },
		]);
	});

	it('function call arguments that are not JSON give a clear error, not a silent drop', async () => {
		endpoint.behaviour = { responses: { toolCalls: [{ id: 'call_9', name: 'read_file', argumentPieces: ['{"path": src/a.ts'] }] } };
		await assert.rejects(
			collect(client(FORMS[0]!.provider), { model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'read a.ts' }] }),
			(error) => {
				assert.ok(error instanceof ChatRequestError, String(error));
				assert.equal(error.kind, 'bad-response');
				assert.equal(error.message, 'The model called the tool "read_file" with arguments that are not a JSON object: {"path": src/a.ts');
				return true;
			},
		);
	});

	it('an image goes as an input image', async () => {
		await collect(client(FORMS[0]!.provider), {
			model: 'gpt-5.2-codex',
			messages: [
				{
					role: 'user',
					content: [
						{ type: 'text', text: 'What is this?' },
						{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
					],
				},
			],
		});
		validRequest(endpoint.requests[0]!);
		assert.deepEqual((endpoint.requests[0]!.body as Record<string, unknown>)['input'], [
			{
				role: 'user',
				content: [
					{ type: 'input_text', text: 'What is this?' },
					{ type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
				],
			},
		]);
	});

	const ends: [string, ResponsesBehaviour['end'], string, string][] = [
		[
			'the output cap',
			{ kind: 'incomplete', reason: 'max_output_tokens' },
			'truncated',
			'The answer was cut off: it reached the maximum output length for this model.',
		],
		[
			'the content filter',
			{ kind: 'incomplete', reason: 'content_filter' },
			'content-filtered',
			"The endpoint's content filter stopped the answer.",
		],
		[
			'a failed response',
			{ kind: 'failed', code: 'server_error', message: 'The server had an error while processing your request.' },
			'server-error',
			'llm.acme.example reported an error while answering: The server had an error while processing your request.',
		],
		[
			'an error event in the stream',
			{ kind: 'error', code: 'server_error', message: 'The server is overloaded, try again shortly.' },
			'server-error',
			'llm.acme.example reported an error while answering: The server is overloaded, try again shortly.',
		],
	];
	for (const [name, end, kind, message] of ends) {
		it(`${name} reaches the caller as one sentence (${kind})`, async () => {
			endpoint.behaviour = { responses: { end } };
			const chat = client(FORMS[0]!.provider);
			await assert.rejects(collect(chat, { model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'hi' }] }), (error) => {
				assert.ok(error instanceof ChatRequestError, String(error));
				assert.equal(error.kind, kind);
				assert.equal(error.message, message);
				return true;
			});
		});
	}

	it("a model's refusal reaches the caller as its answer, not as an empty one", async () => {
		endpoint.behaviour = { responses: { refusal: ["I'm sorry, ", 'I cannot help with that.'] } };
		const events = await collect(client(FORMS[0]!.provider), { model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'hi' }] });
		assert.equal(events.map((event) => (event.type === 'text' ? event.text : '')).join(''), "I'm sorry, I cannot help with that.");
		assert.equal(events.at(-1)?.type, 'end');
	});

	it("a reasoning model's thinking (the summary the policy asks for, or the raw text vLLM streams) reaches the caller as reasoning, apart from the answer", async () => {
		endpoint.behaviour = {
			responses: {
				reasoningSummary: [['**Reading**', ' the file'], ['**Answering**']],
				reasoningText: ['Let me ', 'think.'],
				answer: ['Done', '.'],
			},
		};
		const summarized = provider('https://llm.acme.example/v1', {
			models: { allowed: ['gpt-5.2-codex'], settings: { 'gpt-5.2-codex': { ...codex, reasoningSummary: 'detailed' } } },
		});
		const events = await collect(client(summarized), {
			model: 'gpt-5.2-codex',
			messages: [{ role: 'user', content: 'hi' }],
			parameters,
			showsThinking: true,
		});
		const [request] = endpoint.requests as [RecordedRequest];
		validRequest(request);
		assert.deepEqual((request.body as Record<string, unknown>)['reasoning'], { effort: 'xhigh', summary: 'detailed' });
		assert.equal((request.body as Record<string, unknown>)['text'], undefined, 'no verbosity unless pinned or asked');
		const said = (type: 'reasoning' | 'text') =>
			events
				.filter((event) => event.type === type)
				.map((event) => (event as { text: string }).text)
				.join('');
		assert.equal(said('reasoning'), '**Reading** the file\n\n**Answering**Let me think.');
		assert.equal(said('text'), 'Done.');
		assert.deepEqual(
			events.map((event) => event.type),
			['reasoning', 'reasoning', 'reasoning', 'reasoning', 'reasoning', 'reasoning', 'text', 'text', 'end'],
		);
		// A caller with nowhere to show it (the Language Model API) does not ask for the summary.
		endpoint.requests.length = 0;
		await collect(client(summarized), { model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'hi' }], parameters });
		assert.deepEqual(((endpoint.requests[0] as RecordedRequest).body as Record<string, unknown>)['reasoning'], { effort: 'xhigh' });
		// Without the policy's summary setting none is asked for, and the endpoint sends none.
		endpoint.requests.length = 0;
		const plain = await collect(client(FORMS[0]!.provider), { model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'hi' }] });
		assert.deepEqual(((endpoint.requests[0] as RecordedRequest).body as Record<string, unknown>)['reasoning'], undefined);
		assert.equal(
			plain
				.filter((event) => event.type === 'reasoning')
				.map((event) => (event as { text: string }).text)
				.join(''),
			'Let me think.',
		);
	});

	it("sends a pinned verbosity as the Responses API's text.verbosity", async () => {
		await collect(client(FORMS[0]!.provider), {
			model: 'gpt-5.2-codex',
			messages: [{ role: 'user', content: 'hi' }],
			parameters: { ...parameters, verbosity: 'low' },
		});
		const [request] = endpoint.requests as [RecordedRequest];
		validRequest(request);
		assert.deepEqual((request.body as Record<string, unknown>)['text'], { verbosity: 'low' });
		assert.equal((request.body as Record<string, unknown>)['verbosity'], undefined, 'not under its Chat Completions name');
	});

	it('Test Connection probes a Responses model with the Responses API, and names the fix when Chat Completions is refused', async () => {
		endpoint.behaviour = { responsesOnlyModels: ['gpt-5.2-codex'], models: ['gpt-5.2-codex', 'gpt-4o'] };
		const report = await client(FORMS[2]!.provider).testConnection();
		const codexProbe = report.chats.find((probe) => probe.model === 'gpt-5.2-codex');
		assert.equal(codexProbe?.ok, true, JSON.stringify(report));
		const probe = endpoint.requests.find((request) => request.path.endsWith('/responses'));
		assert.ok(probe, 'the probe went to /responses');
		validRequest(probe);

		const asChat = provider('https://acme.openai.azure.com', {
			azure: { apiVersion: '2025-04-01-preview', identityAuth: false, scope: azureScope },
			models: { allowed: ['gpt-5.2-codex'] },
		});
		const wrong = await client(asChat).testConnection();
		const refused = wrong.chats.find((entry) => entry.model === 'gpt-5.2-codex');
		assert.equal(refused?.ok, false);
		assert.equal(
			refused?.message,
			'This model is served only by the Responses API: the admin should switch its API to "Responses" in the console\'s model settings.',
		);
	});
});
