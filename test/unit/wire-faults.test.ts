import assert from 'node:assert/strict';
import {
	apiKeyCredential,
	ChatRequestError,
	createChatClient,
	createDispatcher,
	fetchThrough,
	type CompletionRequest,
	type EffectiveProvider,
} from '../../src/client';
import { toChatMessages } from '../../src/extension/lm/messages';
import { FakeEndpoint } from '../support/fake-endpoint';

const KEY = 'sk-member-secret-1234567890';
const withKey = apiKeyCredential(async () => KEY);

/**
 * What the second outside review of the client found, over real sockets against the recording
 * endpoint: errors inside a stream, secrets in a base URL's query, a model that refuses a
 * parameter, images for a text-only model, and the words of each error.
 */
describe('wire faults the second review found', () => {
	let endpoint: FakeEndpoint;
	const dispatcher = createDispatcher({ headersTimeoutMs: 2000, connectTimeoutMs: 2000 });
	const client = (baseUrl: string, extra: Partial<EffectiveProvider> = {}) =>
		createChatClient({ baseUrl, headers: {}, apiKeyRequired: true, ...extra }, { fetch: fetchThrough(dispatcher), credentials: withKey });
	const chats = () => endpoint.requests.filter((request) => request.path.endsWith('/chat/completions'));

	beforeEach(async () => {
		endpoint = await FakeEndpoint.start();
	});
	afterEach(() => endpoint.close());

	for (const form of ['data', 'event'] as const) {
		it(`a server error inside a stream (${form === 'data' ? 'a data frame with "error"' : 'an event: error frame'}) is its own error, not a cut connection`, async () => {
			endpoint.behaviour = {
				errorInStream: { afterChunks: 2, form, message: 'The server had an error while processing your request. Sorry about that!' },
			};
			const received: string[] = [];
			const failure = await (async () => {
				try {
					for await (const piece of client(`${endpoint.url}/v1`).streamChat([{ role: 'user', content: 'x' }], 'gpt-4o')) {
						received.push(piece);
					}
				} catch (error) {
					return error;
				}
				return undefined;
			})();
			assert.ok(failure instanceof ChatRequestError, String(failure));
			assert.equal(failure.kind, 'server-error');
			assert.match(failure.message, /reported an error while answering: The server had an error while processing your request/);
			assert.doesNotMatch(failure.message, /was cut/);
			assert.deepEqual(received, ['Hello', ' from']);
		});
	}

	it('a network cut mid-answer is still an interruption', async () => {
		endpoint.behaviour = { failAfterChunks: 2 };
		await assert.rejects(
			async () => {
				for await (const _ of client(`${endpoint.url}/v1`).streamChat([{ role: 'user', content: 'x' }], 'gpt-4o')) {
					// reading on
				}
			},
			(error: ChatRequestError) => error.kind === 'interrupted' && /was cut while the answer was arriving/.test(error.message),
		);
	});

	describe('an endpoint whose error repeats the request: what was sent in confidence is not shown back', () => {
		const HEADER_SECRET = 'hdr-s3cr3t-value-9876543210';
		const provider = { headers: { 'X-Gateway-Key': HEADER_SECRET, 'X-Team': 'platform' }, readableHeaders: ['x-team'] };
		const everyWay = async (make: () => ReturnType<typeof client>) => {
			const said: string[] = [];
			for (const status of [400, 422, 500]) {
				endpoint.behaviour = { status, echoHeaders: true };
				const failure = await (async () => {
					try {
						for await (const _ of make().streamChat([{ role: 'user', content: 'x' }], 'gpt-4o')) {
							// nothing arrives
						}
					} catch (error) {
						return error;
					}
					return undefined;
				})();
				assert.ok(failure instanceof ChatRequestError, String(failure));
				said.push(failure.message);
			}
			const report = await make().testConnection();
			said.push(JSON.stringify(report));
			return said;
		};

		it("the member's key and a policy header's value (Chat Completions, bearer)", async () => {
			const said = await everyWay(() => client(`${endpoint.url}/v1`, provider));
			assert.ok(
				endpoint.requests.some((request) => request.headers['authorization'] === `Bearer ${KEY}`),
				'the key was sent',
			);
			assert.match(said[0]!, /answered 400: fake failure 400: received /, "the endpoint's words are still there");
			assert.match(said[0]!, /x-team=platform/, 'what is not secret stays as said');
			for (const text of said) {
				assert.ok(!text.includes(KEY), text);
				assert.ok(!text.includes(HEADER_SECRET), text);
			}
		});

		it("the member's key in Azure's api-key header", async () => {
			const said = await everyWay(() =>
				client(`${endpoint.url}/openai/deployments/gpt-4o`, {
					...provider,
					azure: { apiVersion: '2024-10-21', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
				}),
			);
			assert.ok(
				endpoint.requests.some((request) => request.headers['api-key'] === KEY),
				'the key was sent as api-key',
			);
			for (const text of said) {
				assert.ok(!text.includes(KEY), text);
				assert.ok(!text.includes(HEADER_SECRET), text);
			}
		});
	});

	it("keeps a secret in the base URL's query out of Test Connection's report and its errors", async () => {
		const secret = 'func-key-s3cr3t-0123456789';
		const report = await client(`${endpoint.url}/v1?code=${secret}`, { models: { allowed: ['gpt-4o', 'gone'] } }).testConnection();
		endpoint.behaviour = { missingModels: ['gone'] };
		const failing = await client(`${endpoint.url}/v1?code=${secret}`, { models: { allowed: ['gone'] } }).testConnection();
		assert.equal(report.endpoint, `${endpoint.url}/v1`);
		for (const text of [JSON.stringify(report), JSON.stringify(failing)]) {
			assert.ok(!text.includes(secret), text);
		}
		assert.ok(
			endpoint.requests.some((request) => request.query['code']?.[0] === secret),
			'the query still reaches the endpoint',
		);
	});

	it('Test Connection probes a reasoning model without settings the way it accepts, after it refuses max_tokens', async () => {
		endpoint.behaviour = { refusedParameters: ['max_tokens'] };
		const report = await client(`${endpoint.url}/v1`, { models: { allowed: ['o4-mini'] } }).testConnection();
		assert.equal(report.ok, true, report.message);
		assert.deepEqual(report.chats, [{ model: 'o4-mini', ok: true }]);
		const bodies = chats().map((request) => request.body as Record<string, unknown>);
		assert.deepEqual(
			bodies.map((body) => [body['max_tokens'], body['max_completion_tokens']]),
			[
				[1, undefined],
				[undefined, 16],
			],
		);
	});

	it('names the parameter an endpoint refuses', async () => {
		endpoint.behaviour = { refusedParameters: ['temperature'] };
		const request: CompletionRequest = { model: 'o3', messages: [{ role: 'user', content: 'x' }], parameters: { temperature: 0.2 } };
		await assert.rejects(
			async () => {
				for await (const _ of client(`${endpoint.url}/v1`).streamCompletion(request)) {
					// nothing arrives
				}
			},
			(error: ChatRequestError) =>
				error.kind === 'unsupported-parameter' &&
				error.message ===
					`${new URL(endpoint.url).host} refused the request parameter temperature for o3 (unsupported_parameter): Unsupported parameter: 'temperature' is not supported with this model.`,
		);
	});

	it("sends an image to a text-only model as a stated placeholder, following the model's settings", async () => {
		endpoint.behaviour = { textOnly: true };
		const picture = { mimeType: 'image/png', data: new Uint8Array([137, 80, 78, 71]) };
		const messages = [{ role: 1, content: [{ value: 'What is in this picture?' }, picture] }];
		const textOnly = { model: 'gpt-4o', messages: toChatMessages(messages, { imageInput: false }) };
		let answer = '';
		for await (const event of client(`${endpoint.url}/v1`).streamCompletion(textOnly)) {
			answer += event.type === 'text' ? event.text : '';
		}
		assert.equal(answer, 'Hello from the endpoint ✓');
		assert.deepEqual((chats().at(-1)!.body as { messages: unknown[] }).messages, [
			{ role: 'user', content: 'What is in this picture?\n[an image (image/png) was left out: this model does not take images]' },
		]);
		// The same request with the image, as a model described with imageInput: true gets it: refused here.
		const withImage = { model: 'gpt-4o', messages: toChatMessages(messages, { imageInput: true }) };
		await assert.rejects(async () => {
			for await (const _ of client(`${endpoint.url}/v1`).streamCompletion(withImage)) {
				// refused before any text
			}
		}, /answered 400: Invalid content type\. image_url is only supported by certain models\.$/);
	});

	it('says each error once and plainly: no repeated status, the model named on a 404, the pasted api-version named', async () => {
		endpoint.behaviour = { status: 400 };
		const plain = await client(`${endpoint.url}/v1`)
			.probe('gpt-4o')
			.catch((error: ChatRequestError) => error);
		assert.equal((plain as ChatRequestError).message, `${new URL(endpoint.url).host} answered 400: fake failure 400`);
		endpoint.behaviour = { missingModels: ['prod-chat'] };
		const missing = await (async () => {
			try {
				for await (const _ of client(`${endpoint.url}/v1`).streamChat([{ role: 'user', content: 'x' }], 'prod-chat')) {
					// refused before any text
				}
			} catch (error) {
				return error as ChatRequestError;
			}
			return undefined;
		})();
		assert.match(missing?.message ?? '', /answered 404 for the model prod-chat: check the Base URL/);
		const classic = await client(`${endpoint.url}/openai/deployments/prod-chat/chat/completions?api-version=2024-02-01`, {
			azure: { identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
		})
			.probe('prod-chat')
			.catch((error: ChatRequestError) => error);
		assert.match((classic as ChatRequestError).message, /the deployment name or the api-version \(2024-02-01\) does not match/);
		assert.doesNotMatch((classic as ChatRequestError).message, /v1 API/);
	});
});
