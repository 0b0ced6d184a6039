import assert from 'node:assert/strict';
import {
	apiKeyCredential,
	azureOpenAiStylePath,
	planEndpoint,
	requestUrl,
	ChatRequestError,
	createChatClient,
	createDispatcher,
	entraCredential,
	fetchThrough,
	noCredential,
	type EffectiveProvider,
	type CredentialSource,
	type HttpOptions,
} from '../../src/client';
import { SignInRequiredError } from '../../src/client/credentials';
import { checkAgainstAzureSpec } from '../support/azure-spec';
import { FakeEndpoint, makeTestCertificates, type RecordedRequest } from '../support/fake-endpoint';

const KEY = 'sk-member-secret-1234567890';

function provider(baseUrl: string, extra: Partial<EffectiveProvider> = {}): EffectiveProvider {
	return { baseUrl, headers: { 'X-Tenant': 'acme', 'X-Cost-Center': 'cc-42' }, apiKeyRequired: true, ...extra };
}

const withKey = apiKeyCredential(async () => KEY);

describe('chat-completions client', () => {
	let endpoint: FakeEndpoint;
	const dispatcher = createDispatcher({ headersTimeoutMs: 2000, connectTimeoutMs: 2000 });

	beforeEach(async () => {
		endpoint = await FakeEndpoint.start();
	});
	afterEach(async () => endpoint.close());

	const client = (settings: EffectiveProvider, credentials: CredentialSource = withKey, http?: HttpOptions) =>
		createChatClient(settings, { fetch: fetchThrough(http ? createDispatcher(http) : dispatcher), credentials });
	const last = (): RecordedRequest => endpoint.requests[endpoint.requests.length - 1]!;
	const drain = async (stream: AsyncIterable<string>) => {
		let text = '';
		for await (const piece of stream) {
			text += piece;
		}
		return text;
	};

	it('plain OpenAI-compatible: /v1 paths, Bearer key, custom headers on chat and models', async () => {
		const chat = client(provider(`${endpoint.url}/v1`));
		assert.deepEqual(await chat.listModels(), ['gpt-4o', 'gpt-4o-mini']);
		const models = last();
		assert.equal(models.method, 'GET');
		assert.equal(models.path, '/v1/models');
		assert.equal(await drain(chat.streamChat([{ role: 'user', content: 'hi' }], 'gpt-4o')), 'Hello from the endpoint ✓');
		const request = last();
		assert.equal(request.method, 'POST');
		assert.equal(request.path, '/v1/chat/completions');
		assert.deepEqual(request.query, {});
		for (const recorded of [models, request]) {
			assert.equal(recorded.headers.authorization, `Bearer ${KEY}`);
			assert.equal(recorded.headers['x-tenant'], 'acme');
			assert.equal(recorded.headers['x-cost-center'], 'cc-42');
			assert.equal(recorded.headers['api-key'], undefined);
		}
		assert.deepEqual(request.body, {
			model: 'gpt-4o',
			messages: [{ role: 'user', content: 'hi' }],
			stream: true,
			stream_options: { include_usage: true },
		});
	});

	describe('token usage, as the endpoint reports it', () => {
		const events = async (chat: ReturnType<typeof client>) => {
			const seen = [];
			for await (const event of chat.streamCompletion({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })) {
				seen.push(event);
			}
			return seen;
		};

		it('asks for the usage chunk and ends with its counts', async () => {
			const seen = await events(client(provider(`${endpoint.url}/v1`)));
			assert.deepEqual(seen.at(-1), { type: 'end', reason: 'stop', usage: { input: 9, output: 5, cached: 0, reasoning: 0 } });
		});

		it('asks again without the option where the endpoint refuses it, and does not ask that endpoint again', async () => {
			endpoint.behaviour = { refuseStreamOptions: true };
			const chat = client(provider(`${endpoint.url}/v1`));
			assert.deepEqual((await events(chat)).at(-1), { type: 'end', reason: 'stop' });
			assert.deepEqual(
				endpoint.requests.map((request) => 'stream_options' in (request.body as object)),
				[true, false],
			);
			await events(chat);
			assert.equal('stream_options' in (endpoint.requests.at(-1)!.body as object), false);
		});

		it("does not send it to Azure's deployments API before 2024-09-01, which has no such option", async () => {
			const chat = client(
				provider(`${endpoint.url}/openai`, {
					azure: { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
				}),
			);
			await events(chat);
			assert.equal('stream_options' in (last().body as object), false);
		});
	});

	it('Azure deployments: /openai/deployments/{model}/chat/completions?api-version=…, key in api-key', async () => {
		const chat = client(
			provider(endpoint.url, {
				azure: { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
			}),
		);
		assert.equal(await chat.complete([{ role: 'user', content: 'hi' }], 'gpt-4o'), 'Hello from the endpoint ✓');
		const request = last();
		assert.equal(request.path, '/openai/deployments/gpt-4o/chat/completions');
		assert.deepEqual(request.query, { 'api-version': ['2024-06-01'] });
		assert.equal(request.headers['api-key'], KEY);
		assert.equal(request.headers.authorization, undefined);
		assert.equal(request.headers['x-tenant'], 'acme');
		await chat.listModels();
		assert.equal(last().path, '/openai/models');
		assert.deepEqual(last().query, { 'api-version': ['2024-06-01'] });
		assert.equal(last().headers['x-cost-center'], 'cc-42');
	});

	it('sends api-version exactly once when the admin also pasted it into the base URL', async () => {
		const chat = client(
			provider(`${endpoint.url}/openai?api-version=2023-05-15`, {
				azure: { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
			}),
		);
		await chat.complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		assert.equal(last().path, '/openai/deployments/gpt-4o/chat/completions');
		assert.deepEqual(last().query, { 'api-version': ['2024-06-01'] });
		const pastedOnly = client(
			provider(`${endpoint.url}?api-version=2024-10-21`, {
				azure: { identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
			}),
		);
		await pastedOnly.complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		assert.deepEqual(last().query, { 'api-version': ['2024-10-21'] });
	});

	it('Azure v1 API: /openai/v1 paths without api-version, or with preview once', async () => {
		const azure = { identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
		await client(provider(endpoint.url, { azure })).complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		assert.equal(last().path, '/openai/v1/chat/completions');
		assert.deepEqual(last().query, {});
		assert.equal(last().headers['api-key'], KEY);
		assert.equal(last().headers.authorization, undefined);
		await client(provider(`${endpoint.url}/openai/v1`, { azure: { ...azure, apiVersion: 'preview' } })).complete(
			[{ role: 'user', content: 'hi' }],
			'gpt-4o',
		);
		assert.equal(last().path, '/openai/v1/chat/completions');
		assert.deepEqual(last().query, { 'api-version': ['preview'] });
	});

	it('Entra ID: Authorization: Bearer <token>, no api-key, a fresh token per request', async () => {
		let issued = 0;
		const entra = entraCredential(async () => `entra-token-${++issued}`);
		const chat = client(
			provider(endpoint.url, {
				apiKeyRequired: false,
				azure: { apiVersion: '2024-06-01', identityAuth: true, scope: 'https://cognitiveservices.azure.com/.default' },
			}),
			entra,
		);
		await chat.complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
		assert.equal(last().headers.authorization, 'Bearer entra-token-1');
		assert.equal(last().headers['api-key'], undefined);
		await chat.complete([{ role: 'user', content: 'again' }], 'gpt-4o');
		assert.equal(last().headers.authorization, 'Bearer entra-token-2');
	});

	describe('every Azure URL form an admin copies calls the same deployment URL', () => {
		const azure = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
		const forms: [string, string, string][] = [
			['the resource root', '', '/openai/deployments/gpt-4o/chat/completions'],
			['…/openai', '/openai', '/openai/deployments/gpt-4o/chat/completions'],
			[
				"a deployment's URL (Cline's docs): the deployment becomes the model",
				'/openai/deployments/gpt-4o-prod',
				'/openai/deployments/gpt-4o-prod/chat/completions',
			],
			[
				'a full chat/completions URL with its api-version',
				'/openai/deployments/gpt-4o-prod/chat/completions?api-version=2023-05-15',
				'/openai/deployments/gpt-4o-prod/chat/completions',
			],
		];
		for (const [name, suffix, path] of forms) {
			it(name, async () => {
				const settings = provider(`${endpoint.url}${suffix}`, { azure });
				const chat = client(settings);
				await chat.complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
				assert.equal(last().path, path);
				assert.deepEqual(last().query, { 'api-version': ['2024-06-01'] }, "api-version once, the policy's");
				assert.equal(
					requestUrl(planEndpoint(settings), 'gpt-4o'),
					`${endpoint.url}${path}?api-version=2024-06-01`,
					'what the console shows is what is called',
				);
			});
		}

		it('…/openai/v1 goes to the v1 API; a deployment URL lists just its deployment', async () => {
			const v1 = provider(`${endpoint.url}/openai/v1`, { azure: { ...azure, apiVersion: undefined } });
			await client(v1).complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
			assert.equal(last().path, '/openai/v1/chat/completions');
			assert.equal(requestUrl(planEndpoint(v1), 'gpt-4o'), `${endpoint.url}/openai/v1/chat/completions`);
			assert.deepEqual(await client(provider(`${endpoint.url}/openai/deployments/gpt-4o-prod`, { azure })).listModels(), ['gpt-4o-prod']);
		});
	});

	describe('smaller wire faults', () => {
		it('keeps every value of a repeated query key in the base URL, and api-version once', async () => {
			await client(provider(`${endpoint.url}/v1?route=a&route=b`)).complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
			assert.deepEqual(last().query, { route: ['a', 'b'] });
			assert.equal(last().path, '/v1/chat/completions');
			const azure = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
			await client(provider(`${endpoint.url}/openai?route=a&route=b&api-version=2023-05-15`, { azure })).complete(
				[{ role: 'user', content: 'hi' }],
				'gpt-4o',
			);
			assert.equal(last().path, '/openai/deployments/gpt-4o/chat/completions');
			assert.deepEqual(last().query, { route: ['a', 'b'], 'api-version': ['2024-06-01'] });
		});

		it('does not warn about Azure settings for the v1 API or the Foundry Models API', () => {
			assert.equal(azureOpenAiStylePath('https://acme.openai.azure.com/openai/v1'), true);
			assert.equal(azureOpenAiStylePath('https://acme.services.ai.azure.com/models'), true);
			assert.equal(azureOpenAiStylePath('https://acme.openai.azure.com/v1'), false);
		});

		it('never sends loopback requests through a proxy, even without NO_PROXY', async () => {
			const viaDeadProxy = createDispatcher({
				env: { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' },
				connectTimeoutMs: 500,
			});
			const chat = createChatClient(provider(`${endpoint.url}/v1`), { fetch: fetchThrough(viaDeadProxy), credentials: withKey });
			assert.equal(await chat.complete([{ role: 'user', content: 'hi' }], 'gpt-4o'), 'Hello from the endpoint ✓');
		});
	});

	describe('failures blamed on the right party, in one sentence', () => {
		const cases: [string, { status: number; retryAfter?: string }, CredentialSource, string, RegExp][] = [
			['408', { status: 408 }, withKey, 'timeout', /gave up waiting for the request \(408\)/],
			['429 with Retry-After', { status: 429, retryAfter: '17' }, withKey, 'rate-limited', /\(429\); wait 17 s and try again/],
			[
				'401 when the policy sends no member key',
				{ status: 401 },
				noCredential,
				'forbidden',
				/policy sends no member key to it: tell your admin/,
			],
		];
		for (const [name, behaviour, credentials, kind, message] of cases) {
			it(name, async () => {
				endpoint.behaviour = behaviour;
				const settings =
					credentials === noCredential ? provider(`${endpoint.url}/v1`, { apiKeyRequired: false }) : provider(`${endpoint.url}/v1`);
				await assert.rejects(client(settings, credentials).complete([{ role: 'user', content: 'hi' }], 'gpt-4o'), (error: unknown) => {
					assert.ok(error instanceof ChatRequestError);
					assert.equal(error.kind, kind);
					assert.match(error.message, message);
					return true;
				});
			});
		}
	});

	describe("the member's environment does not reach the locked endpoint", () => {
		const ENVIRONMENT = {
			OPENAI_BASE_URL: 'http://127.0.0.1:9/elsewhere',
			OPENAI_API_KEY: 'sk-from-the-environment',
			OPENAI_ORG_ID: 'org-from-env',
			OPENAI_PROJECT_ID: 'proj-from-env',
			OPENAI_CUSTOM_HEADERS: 'X-From-Env: injected\nX-Tenant: hijacked',
			AZURE_OPENAI_API_KEY: 'azure-key-from-env',
			AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:9',
			OPENAI_API_VERSION: '1999-01-01',
			OPENAI_LOG: 'debug',
		};
		let saved: Record<string, string | undefined>;
		beforeEach(() => {
			saved = Object.fromEntries(Object.keys(ENVIRONMENT).map((name) => [name, process.env[name]]));
			Object.assign(process.env, ENVIRONMENT);
		});
		afterEach(() => {
			for (const [name, value] of Object.entries(saved)) {
				if (value === undefined) {
					delete process.env[name];
				} else {
					process.env[name] = value;
				}
			}
		});
		const azure = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
		const settings: [string, EffectiveProvider, CredentialSource][] = [
			['plain OpenAI-compatible', provider('http://placeholder/v1'), withKey],
			['Azure deployments with a key', provider('http://placeholder', { azure }), withKey],
			[
				'Azure deployments with Entra ID',
				provider('http://placeholder', { apiKeyRequired: false, azure: { ...azure, identityAuth: true } }),
				entraCredential(async () => 'entra-token'),
			],
			['Azure v1 API', provider('http://placeholder/openai/v1', { azure: { ...azure, apiVersion: undefined } }), withKey],
		];
		for (const [name, settingsFor, credentials] of settings) {
			it(`${name}: no header, key, URL or log of theirs`, async () => {
				const logged: unknown[] = [];
				const originalDebug = console.debug;
				console.debug = (...args: unknown[]) => void logged.push(args);
				try {
					const target = { ...settingsFor, baseUrl: settingsFor.baseUrl.replace('http://placeholder', endpoint.url) };
					await client(target, credentials).complete([{ role: 'user', content: 'hi' }], 'gpt-4o');
				} finally {
					console.debug = originalDebug;
				}
				const request = last();
				assert.equal(request.headers['x-from-env'], undefined);
				assert.equal(request.headers['x-tenant'], 'acme', "the policy's header, not the environment's");
				assert.equal(request.headers['openai-organization'], undefined);
				assert.equal(request.headers['openai-project'], undefined);
				assert.ok(
					![request.headers.authorization, request.headers['api-key']].some(
						(value) => String(value).includes('from-env') || String(value).includes('from-the-environment'),
					),
				);
				assert.ok(!JSON.stringify(request.query).includes('1999-01-01'));
				assert.deepEqual(logged, [], 'OPENAI_LOG=debug logged nothing');
			});
		}
	});

	it('no member key: no credential header of ours; a gateway header in the policy is sent as is', async () => {
		await client(provider(`${endpoint.url}/v1`, { apiKeyRequired: false }), noCredential).complete([{ role: 'user', content: 'hi' }], 'm');
		assert.equal(last().headers.authorization, undefined);
		await client(
			provider(`${endpoint.url}/v1`, { apiKeyRequired: false, headers: { Authorization: 'Bearer gateway' } }),
			noCredential,
		).complete([{ role: 'user', content: 'hi' }], 'm');
		assert.equal(last().headers.authorization, 'Bearer gateway');
	});

	it('asks for a key when none is set, without calling the endpoint', async () => {
		const chat = client(
			provider(`${endpoint.url}/v1`),
			apiKeyCredential(async () => undefined),
		);
		await assert.rejects(
			chat.complete([{ role: 'user', content: 'hi' }], 'm'),
			(error: ChatRequestError) => error.kind === 'missing-key' && /Set API Key/.test(error.message),
		);
		assert.equal(endpoint.requests.length, 0);
	});

	describe('streaming', () => {
		for (const splitBytes of [1, 7, 64]) {
			it(`reassembles chunks split every ${splitBytes} byte(s), through [DONE]`, async () => {
				endpoint.behaviour = { splitBytes, answer: ['naïve ', 'café ', '— ✓ ', '日本'] };
				assert.equal(
					await drain(client(provider(`${endpoint.url}/v1`)).streamChat([{ role: 'user', content: 'x' }], 'm')),
					'naïve café — ✓ 日本',
				);
			});
		}

		it('stops when aborted mid-stream', async () => {
			endpoint.behaviour = { answer: Array.from({ length: 200 }, (_, i) => `t${i} `), chunkDelayMs: 5, splitBytes: 40 };
			const controller = new AbortController();
			const received: string[] = [];
			await assert.rejects(async () => {
				for await (const piece of client(provider(`${endpoint.url}/v1`)).streamChat(
					[{ role: 'user', content: 'x' }],
					'm',
					controller.signal,
				)) {
					received.push(piece);
					if (received.length === 3) {
						controller.abort();
					}
				}
			}, /abort/i);
			assert.ok(received.length >= 3 && received.length < 200, `received ${received.length} pieces`);
		});

		it('reports a server failure mid-stream as an error, after the text that arrived', async () => {
			endpoint.behaviour = { failAfterChunks: 2 };
			const received: string[] = [];
			await assert.rejects(async () => {
				for await (const piece of client(provider(`${endpoint.url}/v1`)).streamChat([{ role: 'user', content: 'x' }], 'm')) {
					received.push(piece);
				}
			}, ChatRequestError);
			assert.deepEqual(received, ['Hello', ' from']);
		});
	});

	describe('Test Connection explains each real failure', () => {
		const azure = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
		const entraAzure = { ...azure, identityAuth: true };

		it('a closed port → unreachable', async () => {
			const closed = await FakeEndpoint.start();
			await closed.close();
			const report = await client(provider(`${closed.url}/v1`)).testConnection();
			assert.equal(report.kind, 'unreachable');
			assert.match(report.message, /unreachable from this machine.*Base URL, your firewall and proxy/);
		});

		it('where the organization set the endpoint, names who can fix it instead of asking the member to check the Base URL (#14 item 5)', async () => {
			const closed = await FakeEndpoint.start();
			await closed.close();
			const managed = createChatClient(provider(`${closed.url}/v1`, { models: { allowed: ['gpt-4o'] } }), {
				fetch: fetchThrough(dispatcher),
				credentials: withKey,
				owner: 'Acme Corp (contact ai-platform@acme.example)',
			});
			const report = await managed.testConnection();
			assert.equal(report.kind, 'unreachable');
			assert.match(
				report.message,
				/unreachable from this machine\. Check your firewall and proxy settings \(http\.proxy\); the endpoint itself is set by Acme Corp \(contact ai-platform@acme\.example\)\.$/,
			);
			assert.ok(!report.message.includes('Base URL'));
		});

		it('a server that never answers → timeout', async () => {
			endpoint.behaviour = { hang: true };
			const report = await client(provider(`${endpoint.url}/v1`), withKey, { headersTimeoutMs: 300 }).testConnection();
			assert.equal(report.kind, 'timeout');
			assert.match(report.message, /did not answer in time/);
		});

		it('a self-signed certificate → not trusted; the same endpoint trusted through a CA file → ok', async () => {
			const certs = makeTestCertificates();
			const selfSigned = await FakeEndpoint.start({ tls: { key: certs.selfSignedKey, cert: certs.selfSignedCert } });
			const signed = await FakeEndpoint.start({ tls: { key: certs.key, cert: certs.cert } });
			try {
				const untrusted = await client(provider(`${selfSigned.url}/v1`), withKey, {}).testConnection();
				assert.equal(untrusted.kind, 'tls');
				assert.match(untrusted.message, /certificate of 127\.0\.0\.1:\d+ is not trusted.*caCertificates/);
				const trusted = await client(provider(`${signed.url}/v1`), withKey, { caFiles: [certs.caFile] }).testConnection();
				assert.equal(trusted.ok, true, trusted.message);
				assert.equal(signed.requests[0]?.headers.authorization, `Bearer ${KEY}`);
			} finally {
				await selfSigned.close();
				await signed.close();
				certs.cleanup();
			}
		});

		const statusCases: [string, number, Partial<EffectiveProvider>, CredentialSource, string, RegExp][] = [
			['401 with a key → key rejected', 401, {}, withKey, 'key-rejected', /rejected your API key/],
			[
				'401 with Entra ID → tenant or role',
				401,
				{ apiKeyRequired: false, azure: entraAzure },
				entraCredential(async () => 't'),
				'azure-role',
				/Cognitive Services OpenAI User/,
			],
			[
				'403 with Entra ID → missing Azure role',
				403,
				{ apiKeyRequired: false, azure: entraAzure },
				entraCredential(async () => 't'),
				'azure-role',
				/lacks a role.*Cognitive Services OpenAI User/,
			],
			['403 with a key → forbidden', 403, {}, withKey, 'forbidden', /refused the request \(403\)/],
			[
				'404 on Azure → deployment or api-version mismatch',
				404,
				{ azure },
				withKey,
				'not-found',
				/deployment name or the api-version \(2024-06-01\)/,
			],
		];
		for (const [name, status, extra, credentials, kind, message] of statusCases) {
			it(name, async () => {
				endpoint.behaviour = { status };
				const report = await client(provider(endpoint.url, extra), credentials).testConnection();
				assert.equal(report.ok, false);
				assert.equal(report.kind, kind);
				assert.equal(report.status, status);
				assert.match(report.message, message);
			});
		}

		it('an Entra ID token that cannot be had is the one sentence given, through the SDK on every API style, and sends nothing', async () => {
			const sentence =
				'Could not get an Entra ID token: run `az login` in a terminal, or sign in with Microsoft, then try again (details in the Org Provider Policy output).';
			const failing = entraCredential(async () => {
				throw new SignInRequiredError(sentence, { cause: new Error('ChainedTokenCredential authentication failed. '.repeat(20)) });
			});
			for (const azureSettings of [{ ...entraAzure }, { ...entraAzure, apiVersion: 'preview' }]) {
				const report = await client(
					provider(endpoint.url, { apiKeyRequired: false, azure: azureSettings, models: { allowed: ['gpt-4o'] } }),
					failing,
				).testConnection();
				assert.equal(report.kind, 'sign-in');
				assert.equal(report.message, sentence);
			}
			assert.equal(endpoint.requests.filter((request) => request.method === 'POST').length, 0, 'no chat request went out without a token');
		});

		it('lists the headers sent with values masked, and never a secret', async () => {
			const report = await client(provider(`${endpoint.url}/v1`)).testConnection();
			assert.equal(report.ok, true);
			assert.deepEqual(Object.keys(report.headersSent).sort(), ['Authorization', 'X-Cost-Center', 'X-Tenant']);
			const text = JSON.stringify(report);
			assert.ok(!text.includes(KEY) && !text.includes('cc-42'), text);
			endpoint.behaviour = { status: 401 };
			const failed = JSON.stringify(await client(provider(`${endpoint.url}/v1`)).testConnection());
			assert.ok(!failed.includes(KEY) && !failed.includes('cc-42'), failed);
		});

		it('sends a real one-token chat request, and reports a listing 404 apart instead of hiding it (#13 item 3)', async () => {
			endpoint.behaviour = { listStatus: 404 };
			const report = await client(provider(`${endpoint.url}/v1`, { models: { allowed: ['gpt-4o'] } })).testConnection();
			assert.equal(report.ok, true, report.message);
			assert.deepEqual(report.listing, { ok: false, message: "The endpoint does not list models (404); the policy's model list is used." });
			assert.deepEqual(report.chats, [{ model: 'gpt-4o', ok: true }]);
			assert.match(report.message, /Connected to 127\.0\.0\.1:\d+: gpt-4o answered a test request\. The endpoint does not list models/);
			const chat = endpoint.requests.find((request) => request.method === 'POST');
			assert.deepEqual(chat?.body, { model: 'gpt-4o', messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1 });
		});

		it('names every allowed deployment that does not answer, and never says Connected for them', async () => {
			const azure = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
			endpoint.behaviour = { listStatus: 404, missingModels: ['gpt-4o-mini-prod'] };
			const report = await client(
				provider(endpoint.url, { azure, models: { allowed: ['gpt-4o-prod', 'gpt-4o-mini-prod'] } }),
			).testConnection();
			assert.equal(report.ok, false);
			assert.equal(report.kind, 'not-found');
			assert.deepEqual(
				report.chats.map((chat) => [chat.model, chat.ok]),
				[
					['gpt-4o-prod', true],
					['gpt-4o-mini-prod', false],
				],
			);
			assert.match(
				report.message,
				/^gpt-4o-mini-prod did not answer: .*answered 404: the deployment name or the api-version \(2024-06-01\) does not match.*\(gpt-4o-prod did\.\)/,
			);
			assert.deepEqual(
				endpoint.requests
					.filter((request) => request.method === 'POST')
					.map((request) => request.path)
					.sort(),
				['/openai/deployments/gpt-4o-mini-prod/chat/completions', '/openai/deployments/gpt-4o-prod/chat/completions'],
			);
		});

		it('without a policy list, lists the models and tries the one the member chose', async () => {
			const report = await client(provider(`${endpoint.url}/v1`)).testConnection('gpt-4o-mini');
			assert.equal(report.ok, true, report.message);
			assert.deepEqual(report.listing, { ok: true, message: 'The endpoint lists 2 models.' });
			assert.deepEqual(report.chats, [{ model: 'gpt-4o-mini', ok: true }]);
			// A reasoning model takes max_completion_tokens instead.
			endpoint.requests.length = 0;
			await client(
				provider(`${endpoint.url}/v1`, {
					models: {
						allowed: ['o3'],
						settings: { o3: { reasoning: true, toolCalling: true, imageInput: false, pinned: {}, forbidden: [] } },
					},
				}),
			).testConnection();
			const body = endpoint.requests.find((request) => request.method === 'POST')?.body as Record<string, unknown>;
			assert.equal(body.max_completion_tokens, 16);
			assert.equal('max_tokens' in body, false);
		});

		it('warns about an Azure host without Azure settings instead of rewriting it', async () => {
			const report = await client(provider('https://acme.openai.azure.com/v1'), withKey, {
				connectTimeoutMs: 200,
				headersTimeoutMs: 200,
			}).testConnection();
			assert.match(report.warnings[0] ?? '', /Azure OpenAI host but the policy has no Azure settings/);
			assert.equal(report.endpoint, 'https://acme.openai.azure.com/v1');
		});
	});

	describe('Azure requests match the published inference spec (2024-06-01)', () => {
		it('chat completions: operation, path and query parameters, and body schema', async function () {
			await client(
				provider(endpoint.url, {
					azure: { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' },
				}),
			).complete(
				[
					{ role: 'system', content: 'be brief' },
					{ role: 'user', content: 'hi' },
				],
				'gpt-4o',
			);
			const { validate, keyHeader } = checkAgainstAzureSpec(last());
			assert.equal(last().headers[keyHeader], KEY);
			assert.equal(validate({ messages: 'not a list' }), false, 'the schema check can fail');
		});
	});
});
