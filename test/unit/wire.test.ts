import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	apiKeyCredential,
	ChatRequestError,
	createChatClient,
	createDispatcher,
	entraCredential,
	fetchThrough,
	type CompletionEvent,
	type CredentialSource,
	type EffectiveProvider,
	type HttpOptions,
} from '../../src/client';
import { checkAgainstAzureSpec } from '../support/azure-spec';
import { ConnectProxy } from '../support/connect-proxy';
import { FakeEndpoint, makeTestCertificates, type RecordedRequest } from '../support/fake-endpoint';
import { openAiSchema } from '../support/openai-spec';

/**
 * The chat client on the wire as members meet it: HTTPS through a CONNECT proxy that maps real
 * Azure host names to the local recording endpoint, so the Host header and TLS server name are the
 * real ones and no byte leaves the machine. Every form of base URL an admin pastes, for classic,
 * v1, Foundry and sovereign-cloud hosts; the member's OPENAI_… and AZURE_OPENAI_… variables set
 * throughout, with nothing of theirs on the wire; each failure with the exact sentence members see.
 */

const KEY = 'sk-member-wire-key-0123456789';
const withKey = apiKeyCredential(async () => KEY);
const AZURE_NAMES = [
	'*.openai.azure.com',
	'*.cognitiveservices.azure.com',
	'*.services.ai.azure.com',
	'*.openai.azure.us',
	'*.openai.azure.cn',
	'llm.acme.example',
];
/** What a member's shell may hold; none of it may reach a request while a policy is in force. */
const MEMBER_ENVIRONMENT: Record<string, string> = {
	OPENAI_BASE_URL: 'https://evil.example/v1',
	OPENAI_API_KEY: 'sk-from-the-environment',
	OPENAI_ORG_ID: 'org-from-the-environment',
	OPENAI_PROJECT_ID: 'proj-from-the-environment',
	OPENAI_CUSTOM_HEADERS: 'X-From-Environment: 1',
	OPENAI_LOG: 'debug',
	AZURE_OPENAI_API_KEY: 'azure-key-from-the-environment',
	AZURE_OPENAI_ENDPOINT: 'https://evil.openai.azure.com',
	OPENAI_API_VERSION: '2023-05-15',
};

interface WireCase {
	name: string;
	provider: EffectiveProvider;
	model: string;
	credential?: CredentialSource;
	/** Path and query the request must have. */
	path: string;
	query: Record<string, string[]>;
	/** The credential header and its value; the other credential header must be absent. */
	auth: ['api-key' | 'authorization', string];
	/** Which published spec the request is checked against. */
	spec: 'azure' | 'openai';
}

const classic = { apiVersion: '2024-06-01', identityAuth: false, scope: 'https://cognitiveservices.azure.com/.default' };
const deployments = { allowed: ['gpt-4o-prod'] };
const provider = (baseUrl: string, extra: Partial<EffectiveProvider> = {}): EffectiveProvider => ({
	baseUrl,
	headers: { 'X-Tenant': 'acme' },
	apiKeyRequired: true,
	...extra,
});

function classicForms(host: string): WireCase[] {
	const expected = {
		path: '/openai/deployments/gpt-4o-prod/chat/completions',
		query: { 'api-version': ['2024-06-01'] },
		auth: ['api-key', KEY] as WireCase['auth'],
		spec: 'azure' as const,
		model: 'gpt-4o-prod',
	};
	return [
		{ name: `${host}: the resource root`, provider: provider(`https://${host}`, { azure: classic, models: deployments }), ...expected },
		{ name: `${host}: …/openai`, provider: provider(`https://${host}/openai`, { azure: classic, models: deployments }), ...expected },
		{
			name: `${host}: a deployment's URL (the deployment becomes the model)`,
			provider: provider(`https://${host}/openai/deployments/gpt-4o-prod`, { azure: classic }),
			...expected,
			model: 'anything',
		},
		{
			name: `${host}: a full …/chat/completions?api-version= URL`,
			provider: provider(`https://${host}/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-06-01`, {
				azure: { identityAuth: false, scope: classic.scope },
			}),
			...expected,
		},
	];
}

const CASES: WireCase[] = [
	...['acme.openai.azure.com', 'acme.cognitiveservices.azure.com', 'acme.openai.azure.us', 'acme.openai.azure.cn'].flatMap(classicForms),
	...['acme.openai.azure.com', 'acme.services.ai.azure.com'].flatMap((host): WireCase[] => [
		{
			name: `${host}: the v1 API`,
			provider: provider(`https://${host}/openai/v1`, { azure: { identityAuth: false, scope: classic.scope } }),
			model: 'gpt-4o',
			path: '/openai/v1/chat/completions',
			query: {},
			auth: ['api-key', KEY],
			spec: 'openai',
		},
		{
			name: `${host}: the v1 API, preview`,
			provider: provider(`https://${host}/openai/v1`, { azure: { apiVersion: 'preview', identityAuth: false, scope: classic.scope } }),
			model: 'gpt-4o',
			path: '/openai/v1/chat/completions',
			query: { 'api-version': ['preview'] },
			auth: ['api-key', KEY],
			spec: 'openai',
		},
	]),
	{
		name: 'acme.services.ai.azure.com: the Foundry Models API',
		provider: provider('https://acme.services.ai.azure.com/models?api-version=2024-05-01-preview'),
		model: 'DeepSeek-R1',
		path: '/models/chat/completions',
		query: { 'api-version': ['2024-05-01-preview'] },
		auth: ['authorization', `Bearer ${KEY}`],
		spec: 'openai',
	},
	{
		name: 'acme.openai.azure.com: Entra ID instead of a key',
		provider: provider('https://acme.openai.azure.com', {
			apiKeyRequired: false,
			azure: { ...classic, identityAuth: true },
			models: deployments,
		}),
		credential: entraCredential(async () => 'entra-access-token'),
		model: 'gpt-4o-prod',
		path: '/openai/deployments/gpt-4o-prod/chat/completions',
		query: { 'api-version': ['2024-06-01'] },
		auth: ['authorization', 'Bearer entra-access-token'],
		spec: 'azure',
	},
	{
		name: 'vllm.internal: plain HTTP inside the network, as the admin allowed it (forwarded, not tunnelled)',
		provider: provider('http://vllm.internal:8000/v1', { allowPlainHttp: true } as Partial<EffectiveProvider>),
		model: 'meta-llama/Llama-3.3-70B-Instruct',
		path: '/v1/chat/completions',
		query: {},
		auth: ['authorization', `Bearer ${KEY}`],
		spec: 'openai',
	},
	{
		name: 'llm.acme.example: a gateway',
		provider: provider('https://llm.acme.example/v1?route=a&route=b'),
		model: 'gpt-4o',
		path: '/v1/chat/completions',
		query: { route: ['a', 'b'] },
		auth: ['authorization', `Bearer ${KEY}`],
		spec: 'openai',
	},
];

describe('the chat client on the wire, through a CONNECT proxy, with the real host names', function () {
	this.timeout(20_000);
	let certs: ReturnType<typeof makeTestCertificates>;
	let endpoint: FakeEndpoint;
	/** The same recording endpoint over plain HTTP, for an internal server the admin allowed. */
	let plain: FakeEndpoint;
	let proxy: ConnectProxy;
	const saved: Record<string, string | undefined> = {};

	before(async () => {
		certs = makeTestCertificates(AZURE_NAMES);
		endpoint = await FakeEndpoint.start({ tls: { key: certs.key, cert: certs.cert } });
		plain = await FakeEndpoint.start();
		const port = Number(new URL(endpoint.url).port);
		proxy = await ConnectProxy.start(
			new Map([
				...AZURE_NAMES.map((name): [string, number] => [name.replace('*', 'acme'), port]),
				['vllm.internal', Number(new URL(plain.url).port)],
			]),
		);
		for (const [name, value] of Object.entries(MEMBER_ENVIRONMENT)) {
			saved[name] = process.env[name];
			process.env[name] = value;
		}
	});
	after(async () => {
		for (const [name, value] of Object.entries(saved)) {
			if (value === undefined) {
				delete process.env[name];
			} else {
				process.env[name] = value;
			}
		}
		await proxy?.close();
		await endpoint?.close();
		await plain?.close();
		certs?.cleanup();
	});
	beforeEach(() => {
		endpoint.behaviour = {};
		plain.behaviour = {};
		endpoint.requests.length = 0;
		plain.requests.length = 0;
		proxy.tunnels.length = 0;
		proxy.refuseWith = undefined;
	});

	const client = (settings: EffectiveProvider, credential: CredentialSource = withKey, http: Partial<HttpOptions> = {}) =>
		createChatClient(settings, {
			fetch: fetchThrough(
				createDispatcher({
					proxy: proxy.url,
					caFiles: [certs.caFile],
					env: {},
					headersTimeoutMs: 2000,
					bodyTimeoutMs: 2000,
					connectTimeoutMs: 2000,
					...http,
				}),
			),
			credentials: credential,
			proxy: () => (http.proxy ? new URL(http.proxy).host : proxy.host),
		});
	const chat = async (settings: EffectiveProvider, model = 'gpt-4o', credential?: CredentialSource, http?: Partial<HttpOptions>) => {
		let text = '';
		for await (const piece of client(settings, credential, http).streamChat([{ role: 'user', content: 'hello' }], model)) {
			text += piece;
		}
		return text;
	};
	const failure = async (settings: EffectiveProvider, http?: Partial<HttpOptions>): Promise<ChatRequestError> => {
		try {
			await chat(settings, 'gpt-4o-prod', undefined, http);
		} catch (error) {
			assert.ok(error instanceof ChatRequestError, String(error));
			return error;
		}
		assert.fail('expected the request to fail');
	};

	for (const wire of CASES) {
		it(wire.name, async () => {
			assert.equal(await chat(wire.provider, wire.model, wire.credential), 'Hello from the endpoint ✓');
			const url = new URL(wire.provider.baseUrl);
			const tls = url.protocol === 'https:';
			assert.deepEqual(
				proxy.tunnels,
				[`${url.hostname}:${url.port || (tls ? 443 : 80)}`],
				'one request through the proxy, to the real host name',
			);
			const requests = [...endpoint.requests, ...plain.requests];
			const [request] = requests as [RecordedRequest];
			assert.equal(requests.length, 1);
			assert.equal(request.headers.host, url.host, 'Host header');
			assert.equal(request.servername, tls ? url.hostname : undefined, 'TLS server name');
			assert.equal(request.path, wire.path);
			assert.deepEqual(request.query, wire.query);
			const [name, value] = wire.auth;
			assert.equal(request.headers[name], value);
			assert.equal(request.headers[name === 'api-key' ? 'authorization' : 'api-key'], undefined, 'one credential header');
			assert.equal(request.headers['x-tenant'], 'acme', "the policy's header, once");
			for (const leaked of ['x-from-environment', 'openai-organization', 'openai-project']) {
				assert.equal(request.headers[leaked], undefined, `${leaked} from the member's environment`);
			}
			assert.ok(!JSON.stringify(request).includes('from-the-environment'), 'nothing from the environment on the wire');
			if (wire.spec === 'azure') {
				checkAgainstAzureSpec(request);
			}
			const validate = openAiSchema('CreateChatCompletionRequest');
			assert.ok(validate({ ...(request.body as object), model: wire.model }), JSON.stringify(validate.errors));
		});
	}

	it("a model's refusal (delta.refusal) is its answer, not an empty reply", async () => {
		endpoint.behaviour = { refusal: ["I'm sorry, ", 'I cannot help with that.'] };
		const [first] = CASES;
		assert.equal(await chat(first!.provider, first!.model, first!.credential), "I'm sorry, I cannot help with that.");
		const validate = openAiSchema('ChatCompletionStreamResponseDelta');
		assert.ok(validate({ refusal: 'No.' }), `the fake's refusal delta is the published shape: ${JSON.stringify(validate.errors)}`);
	});

	for (const field of ['reasoning', 'reasoning_content'] as const) {
		it(`a reasoning model's thinking in delta.${field} (vLLM, DeepSeek) comes apart from the answer`, async () => {
			endpoint.behaviour = { reasoning: { field, pieces: ['The user greets', ' me.'] }, answer: ['Hi', '!'] };
			const [first] = CASES;
			const events: CompletionEvent[] = [];
			for await (const event of client(first!.provider, first!.credential).streamCompletion({
				model: first!.model,
				messages: [{ role: 'user', content: 'hi' }],
			})) {
				events.push(event);
			}
			assert.deepEqual(
				events.filter((event) => event.type !== 'end'),
				[
					{ type: 'reasoning', text: 'The user greets' },
					{ type: 'reasoning', text: ' me.' },
					{ type: 'text', text: 'Hi' },
					{ type: 'text', text: '!' },
				],
			);
		});
	}

	describe('each failure, in the sentence the member sees', () => {
		const azure = provider('https://acme.openai.azure.com', { azure: classic, models: deployments });

		it('a proxy that wants credentials (407) is named, not the endpoint', async () => {
			proxy.refuseWith = 407;
			const error = await failure(azure);
			assert.equal(error.kind, 'proxy');
			assert.equal(
				error.message,
				`The proxy ${proxy.host} asks for credentials (407) before it connects to acme.openai.azure.com: put them in the proxy setting (http.proxy, http://user:password@proxy:port) or ask IT.`,
			);
		});

		it('a proxy that cannot reach the host (502) says so', async () => {
			const error = await failure(provider('https://elsewhere.openai.azure.com', { azure: classic, models: deployments }));
			assert.equal(error.kind, 'proxy');
			assert.equal(
				error.message,
				`The proxy ${proxy.host} could not connect to elsewhere.openai.azure.com (502): check the Base URL, or ask whoever runs the proxy whether it lets elsewhere.openai.azure.com through.`,
			);
		});

		const internal = provider('http://vllm.internal:8000/v1', { allowPlainHttp: true } as Partial<EffectiveProvider>);
		it('plain HTTP (forwarded, not tunnelled): a proxy that wants credentials is the proxy, not the endpoint', async () => {
			proxy.refuseWith = 407;
			const error = await failure(internal);
			assert.equal(error.kind, 'proxy');
			assert.equal(error.status, 407);
			assert.equal(
				error.message,
				`The proxy ${proxy.host} asks for credentials (407) before it forwards the request to vllm.internal:8000: put them in the proxy setting (http.proxy, http://user:password@proxy:port) or ask IT.`,
			);
		});

		it("plain HTTP: the proxy's own 502 page is the proxy failing, not the endpoint", async () => {
			const error = await failure(provider('http://gone.internal:8000/v1', { allowPlainHttp: true } as Partial<EffectiveProvider>));
			assert.equal(error.kind, 'proxy');
			assert.equal(
				error.message,
				`The proxy ${proxy.host} could not reach gone.internal:8000 (502): check the Base URL, or ask whoever runs the proxy whether it lets gone.internal:8000 through.`,
			);
		});

		it("plain HTTP: the endpoint's own 502 (a JSON error body) stays the endpoint's", async () => {
			plain.behaviour = { status: 502 };
			const error = await failure(internal);
			assert.equal(error.kind, 'server-error');
			assert.match(error.message, /^vllm\.internal:8000 failed with 502/);
		});

		it('a proxy that is down is named, with the cause', async () => {
			const error = await failure(azure, { proxy: 'http://127.0.0.1:9' });
			assert.equal(error.kind, 'proxy');
			assert.equal(
				error.message,
				'Cannot reach the proxy 127.0.0.1:9 (ECONNREFUSED) on the way to acme.openai.azure.com: check the proxy setting (http.proxy or HTTPS_PROXY), or whether the proxy is running.',
			);
		});

		it('a connection cut mid-answer is not "unreachable"', async () => {
			endpoint.behaviour = { failAfterChunks: 2 };
			const error = await failure(azure);
			assert.equal(error.kind, 'interrupted');
			assert.match(
				error.message,
				/^The connection to acme\.openai\.azure\.com was cut while the answer was arriving( \([A-Z_]+\))?: the answer is incomplete; try again\.$/,
			);
		});

		it('an answer that stalls part-way is a timeout, worded as one', async () => {
			endpoint.behaviour = { chunkDelayMs: 4000, splitBytes: 200 };
			const error = await failure(azure);
			assert.equal(error.kind, 'timeout');
			assert.equal(
				error.message,
				'acme.openai.azure.com stopped sending the answer part-way (nothing arrived for too long): the answer is incomplete; try again.',
			);
		});

		it('an endpoint that never answers is a timeout, not unreachable', async () => {
			endpoint.behaviour = { hang: true };
			const error = await failure(azure);
			assert.equal(error.kind, 'timeout');
			assert.equal(
				error.message,
				'acme.openai.azure.com accepted the request but did not answer in time: the endpoint may be overloaded; try again, or tell your admin if it keeps happening.',
			);
		});

		const statuses: [string, Partial<FakeEndpoint['behaviour']>, string, string][] = [
			[
				'429 keeps Retry-After',
				{ status: 429, retryAfter: '17' },
				'rate-limited',
				'acme.openai.azure.com is rate-limiting requests (429); wait 17 s and try again.',
			],
			[
				'408 is a timeout',
				{ status: 408 },
				'timeout',
				'acme.openai.azure.com gave up waiting for the request (408): try again; if it keeps happening, the network between you and the endpoint is slow.',
			],
			[
				'401 with a key',
				{ status: 401 },
				'key-rejected',
				'acme.openai.azure.com rejected your API key (401). Check the key, or set a new one with "Org Provider Policy: Set API Key".',
			],
			['content_filter', { finishReason: 'content_filter' }, 'content-filtered', "The endpoint's content filter stopped the answer."],
			['length', { finishReason: 'length' }, 'truncated', 'The answer was cut off: it reached the maximum output length for this model.'],
			[
				'no finish reason',
				{ finishReason: null },
				'incomplete',
				'The answer ended before the endpoint finished it (the stream closed without a finish reason).',
			],
		];
		for (const [name, behaviour, kind, message] of statuses) {
			it(name, async () => {
				endpoint.behaviour = behaviour;
				const error = await failure(azure);
				assert.equal(error.kind, kind);
				assert.equal(error.message, message);
			});
		}
	});
});

describe('extra CA certificates', () => {
	it('names the setting that lists a file it cannot read or that holds no certificate, instead of a bare ENOENT', () => {
		const dir = mkdtempSync(join(tmpdir(), 'opp-ca-'));
		try {
			const missing = join(dir, 'corp-root.pem');
			assert.throws(() => createDispatcher({ caFiles: [missing], env: {} }), {
				message: `orgProviderPolicy.http.caCertificates lists ${missing}, which cannot be read (ENOENT)`,
			});
			const key = join(dir, 'key.pem');
			writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n');
			assert.throws(() => createDispatcher({ env: { NODE_EXTRA_CA_CERTS: key } }), {
				message: `NODE_EXTRA_CA_CERTS lists ${key}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
			});
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
