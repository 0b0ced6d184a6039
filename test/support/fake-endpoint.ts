import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerResponses, type ResponsesBehaviour } from './fake-responses';

/** One request as the endpoint received it. */
export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string[]>;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
	/** The client closed the connection before the answer was complete (a cancelled request). */
	aborted?: boolean;
	/** The TLS server name (SNI) the client sent, over HTTPS. */
	servername?: string;
}

export interface FakeBehaviour {
	/** Answer every request with this status and an OpenAI-style error body. */
	status?: number;
	/** A Retry-After header for that answer. */
	retryAfter?: string;
	/**
	 * That answer's message repeats the request's headers, as some gateways' and proxies' errors do
	 * ("Invalid header … received …"), so that what the member is shown can be checked for them.
	 */
	echoHeaders?: boolean;
	models?: string[];
	/** The streamed answer, as SSE chunks of these texts. */
	answer?: string[];
	/**
	 * A reasoning model's thinking, streamed before the answer in the delta field servers use for it
	 * (not in OpenAI's API description): `reasoning` as vLLM sends it since 0.11, `reasoning_content`
	 * as vLLM did before and DeepSeek's API does (docs.vllm.ai, "Reasoning Outputs").
	 */
	reasoning?: { field: 'reasoning' | 'reasoning_content'; pieces: string[] };
	/** The model declines: `delta.refusal` chunks of these texts instead of the answer. */
	refusal?: string[];
	/** Split the SSE bytes into pieces of this size, so chunks land at awkward boundaries. */
	splitBytes?: number;
	/** Fail after this many content chunks with a broken stream. */
	failAfterChunks?: number;
	/** Never answer (for timeouts). */
	hang?: boolean;
	/** Delay between streamed chunks. */
	chunkDelayMs?: number;
	/**
	 * Tool calls to stream (arguments in pieces, as models send them) while the conversation does
	 * not yet end with a tool result; once it does, the text answer: one whole tool round trip.
	 */
	toolCalls?: { id: string; name: string; argumentPieces: string[] }[];
	/** The finish reason of the streamed answer (default `stop`, or `tool_calls`); null sends none. */
	finishReason?: string | null;
	/** The model listing alone answers this status (a gateway or server that lists no models). */
	listStatus?: number;
	/** Models (deployments) that do not exist: a chat request for one answers 404 as Azure does. */
	missingModels?: string[];
	/**
	 * After this many content chunks, the server reports an error inside the stream and ends it:
	 * as a `data:` frame holding `{"error": …}`, or as an `event: error` frame (both forms exist).
	 */
	errorInStream?: { afterChunks: number; form: 'data' | 'event'; message: string };
	/**
	 * Request parameters this model refuses, answered as OpenAI answers a reasoning model sent
	 * `max_tokens`: 400, `invalid_request_error`, `param` and `code: unsupported_parameter`.
	 */
	refusedParameters?: string[];
	/** A text-only model: a message with an image part is refused (400), as such endpoints do. */
	textOnly?: boolean;
	/**
	 * A chat template that enforces alternation, as many served by vLLM or text-generation-inference
	 * do: system messages only first, then user and assistant turns alternating from a user turn,
	 * every tool call answered by tool results right after it. Anything else is a 400.
	 */
	strictTemplate?: boolean;
	/** How `POST …/responses` answers (the Responses API). */
	responses?: ResponsesBehaviour;
	/** Refuse `stream_options` as Azure's older API versions and some gateways do (400, "Unrecognized request argument"). */
	refuseStreamOptions?: boolean;
	/** Models only the Responses API serves: a chat completion for one is refused as Azure refuses codex models. */
	responsesOnlyModels?: string[];
}

/** Why a strict chat template refuses this conversation, or undefined when it takes it. */
export function strictTemplateProblem(
	messages: readonly { role: string; tool_calls?: { id: string }[]; tool_call_id?: string }[],
): string | undefined {
	let index = 0;
	while (messages[index]?.role === 'system' || messages[index]?.role === 'developer') {
		index++;
	}
	let expected: 'user' | 'assistant' = 'user';
	for (; index < messages.length; index++) {
		const message = messages[index]!;
		if (message.role === 'system' || message.role === 'developer') {
			return `a ${message.role} message may only come first (at ${index})`;
		}
		if (message.role === 'tool') {
			return `a tool result without the call before it (at ${index})`;
		}
		if (message.role !== expected) {
			return `Conversation roles must alternate user/assistant/user/assistant/... (at ${index}: ${message.role})`;
		}
		if (message.role === 'assistant' && message.tool_calls?.length) {
			const calls = new Set(message.tool_calls.map((call) => call.id));
			while (messages[index + 1]?.role === 'tool') {
				calls.delete(messages[++index]!.tool_call_id ?? '');
			}
			if (calls.size > 0) {
				return `tool calls without results: ${[...calls].join(', ')}`;
			}
			expected = 'user';
			// After tool results the assistant answers: a user turn or the assistant may follow.
			if (messages[index + 1]?.role === 'assistant') {
				expected = 'assistant';
			}
			continue;
		}
		expected = expected === 'user' ? 'assistant' : 'user';
	}
	return undefined;
}

/**
 * A local OpenAI-compatible endpoint that records every request (method, path, query, headers,
 * body) and answers in the wire format of the OpenAI and Azure OpenAI specifications.
 */
export class FakeEndpoint {
	readonly requests: RecordedRequest[] = [];
	behaviour: FakeBehaviour = {};
	private server!: Server;
	url = '';

	static async start(options: { tls?: { key: string; cert: string } } = {}): Promise<FakeEndpoint> {
		const endpoint = new FakeEndpoint();
		const handler = (request: IncomingMessage, response: ServerResponse) => void endpoint.handle(request, response);
		endpoint.server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
		await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
		const { port } = endpoint.server.address() as AddressInfo;
		endpoint.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
		return endpoint;
	}

	async close(): Promise<void> {
		this.server.closeAllConnections?.();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of request) {
			chunks.push(chunk as Buffer);
		}
		const raw = Buffer.concat(chunks).toString('utf8');
		const url = new URL(request.url ?? '/', 'http://fake');
		const query: Record<string, string[]> = {};
		for (const [key, value] of url.searchParams) {
			(query[key] ??= []).push(value);
		}
		const servername = (request.socket as { servername?: string | false }).servername;
		const record: RecordedRequest = {
			method: request.method ?? '',
			path: url.pathname,
			query,
			headers: request.headers,
			body: raw ? JSON.parse(raw) : undefined,
			...(servername ? { servername } : {}),
		};
		this.requests.push(record);
		response.once('close', () => {
			if (!response.writableFinished) {
				record.aborted = true;
			}
		});
		const behaviour = this.behaviour;
		if (behaviour.hang) {
			return;
		}
		if (behaviour.status) {
			response.writeHead(behaviour.status, {
				'content-type': 'application/json',
				...(behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}),
			});
			response.end(
				JSON.stringify({
					error: {
						message: behaviour.echoHeaders
							? `fake failure ${behaviour.status}: received ${Object.entries(request.headers)
									.map(([name, value]) => `${name}=${String(value)}`)
									.join(', ')}`
							: `fake failure ${behaviour.status}`,
						type: 'invalid_request_error',
						code: String(behaviour.status),
					},
				}),
			);
			return;
		}
		if (request.method === 'GET' && url.pathname.endsWith('/models') && behaviour.listStatus) {
			response.writeHead(behaviour.listStatus, { 'content-type': 'application/json' });
			response.end(JSON.stringify({ error: { code: '404', message: 'Resource not found' } }));
			return;
		}
		const deployment = /\/deployments\/([^/]+)\//.exec(url.pathname)?.[1];
		const asked = deployment ? decodeURIComponent(deployment) : (record.body as { model?: string } | undefined)?.model;
		if (request.method === 'POST' && asked !== undefined && behaviour.missingModels?.includes(asked)) {
			// Azure's answer for a deployment that does not exist (the OpenAI API answers model_not_found alike).
			response.writeHead(404, { 'content-type': 'application/json' });
			response.end(
				JSON.stringify({
					error: {
						code: 'DeploymentNotFound',
						message:
							'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
					},
				}),
			);
			return;
		}
		if (request.method === 'GET' && url.pathname.endsWith('/models')) {
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end(
				JSON.stringify({
					object: 'list',
					data: (behaviour.models ?? ['gpt-4o', 'gpt-4o-mini']).map((id) => ({
						id,
						object: 'model',
						created: 1700000000,
						owned_by: 'org',
					})),
				}),
			);
			return;
		}
		if (request.method === 'POST' && url.pathname.endsWith('/responses')) {
			answerResponses(record.body as { model: string }, behaviour.responses ?? {}, response);
			return;
		}
		if (request.method === 'POST' && url.pathname.endsWith('/chat/completions')) {
			const body = record.body as { model: string; stream?: boolean };
			if (asked !== undefined && behaviour.responsesOnlyModels?.includes(asked)) {
				response.writeHead(400, { 'content-type': 'application/json' });
				const message = `The chatCompletion operation does not work with the specified model, ${asked}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`;
				response.end(JSON.stringify({ error: { code: 'OperationNotSupported', message } }));
				return;
			}
			const template = behaviour.strictTemplate ? strictTemplateProblem((record.body as { messages?: [] }).messages ?? []) : undefined;
			if (template) {
				response.writeHead(400, { 'content-type': 'application/json' });
				response.end(JSON.stringify({ object: 'error', message: template, type: 'BadRequestError', param: null, code: 400 }));
				return;
			}
			if (behaviour.refuseStreamOptions && 'stream_options' in (record.body as object)) {
				response.writeHead(400, { 'content-type': 'application/json' });
				const message = 'Unrecognized request argument supplied: stream_options';
				response.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
				return;
			}
			const refused = behaviour.refusedParameters?.find((name) => name in (record.body as object));
			const hasImage = JSON.stringify((record.body as { messages?: unknown }).messages ?? []).includes('"image_url"');
			if (refused || (behaviour.textOnly && hasImage)) {
				response.writeHead(400, { 'content-type': 'application/json' });
				response.end(
					JSON.stringify({
						error: refused
							? {
									message: `Unsupported parameter: '${refused}' is not supported with this model.`,
									type: 'invalid_request_error',
									param: refused,
									code: 'unsupported_parameter',
								}
							: {
									message: 'Invalid content type. image_url is only supported by certain models.',
									type: 'invalid_request_error',
									param: 'messages.[0].content.[1].type',
									code: null,
								},
					}),
				);
				return;
			}
			const answer = behaviour.answer ?? ['Hello', ' from', ' the', ' endpoint', ' ✓'];
			if (!body.stream) {
				response.writeHead(200, { 'content-type': 'application/json' });
				response.end(
					JSON.stringify({
						id: 'chatcmpl-1',
						object: 'chat.completion',
						created: 1700000000,
						model: body.model,
						choices: [{ index: 0, message: { role: 'assistant', content: answer.join('') }, finish_reason: 'stop', logprobs: null }],
						usage: { prompt_tokens: 5, completion_tokens: answer.length, total_tokens: 5 + answer.length },
					}),
				);
				return;
			}
			response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
			const event = (delta: Record<string, unknown>, finish: string | null) =>
				`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
			const messages = (body as { messages?: { role: string }[] }).messages ?? [];
			const calling = behaviour.toolCalls && messages.at(-1)?.role !== 'tool' ? behaviour.toolCalls : undefined;
			const content = calling
				? calling.flatMap((call, index) => [
						event({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null),
						...call.argumentPieces.map((piece) => event({ tool_calls: [{ index, function: { arguments: piece } }] }, null)),
					])
				: behaviour.refusal
					? behaviour.refusal.map((text) => event({ refusal: text }, null))
					: answer.map((text) => event({ content: text }, null));
			const thinking = (behaviour.reasoning?.pieces ?? []).map((text) => event({ [behaviour.reasoning!.field]: text }, null));
			const finish = behaviour.finishReason === undefined ? (calling ? 'tool_calls' : 'stop') : behaviour.finishReason;
			// Asked for, the usage comes last in a chunk without choices, as OpenAI sends it.
			const usage = (body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage
				? [
						`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: [], usage: { prompt_tokens: 9, completion_tokens: content.length, total_tokens: 9 + content.length, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } })}\n\n`,
					]
				: [];
			const events = [
				event({ role: 'assistant', content: '' }, null),
				...thinking,
				...content,
				...(finish === null ? [] : [event({}, finish)]),
				...usage,
				'data: [DONE]\n\n',
			];
			const limit = behaviour.failAfterChunks;
			const inStream = behaviour.errorInStream;
			const error = inStream && { error: { message: inStream.message, type: 'server_error', param: null, code: null } };
			const sent = inStream
				? [
						...events.slice(0, inStream.afterChunks + 1),
						inStream.form === 'data' ? `data: ${JSON.stringify(error)}\n\n` : `event: error\ndata: ${JSON.stringify(error)}\n\n`,
					]
				: limit === undefined
					? events
					: events.slice(0, limit + 1);
			const bytes = Buffer.from(sent.join(''), 'utf8');
			const size = behaviour.splitBytes ?? bytes.length;
			for (let offset = 0; offset < bytes.length; offset += size) {
				response.write(bytes.subarray(offset, offset + size));
				if (behaviour.chunkDelayMs !== 0) {
					await new Promise((resolve) => setTimeout(resolve, behaviour.chunkDelayMs ?? 1));
				}
			}
			if (limit !== undefined) {
				response.destroy(new Error('connection lost mid-stream'));
				return;
			}
			response.end();
			return;
		}
		response.writeHead(404, { 'content-type': 'application/json' });
		response.end(JSON.stringify({ error: { message: 'Resource not found', code: '404' } }));
	}
}

/** A throwaway CA and a server certificate for 127.0.0.1 (and `names`, e.g. `*.openai.azure.com`) signed by it (openssl). */
export function makeTestCertificates(names: readonly string[] = []): {
	caFile: string;
	ca: string;
	key: string;
	cert: string;
	selfSignedKey: string;
	selfSignedCert: string;
	cleanup: () => void;
} {
	const dir = mkdtempSync(join(tmpdir(), 'opp-tls-'));
	const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	run(
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-keyout',
		'ca.key',
		'-out',
		'ca.pem',
		'-days',
		'2',
		'-subj',
		'/CN=Org Provider Policy test CA',
	);
	run(
		'req',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-keyout',
		'server.key',
		'-out',
		'server.csr',
		'-subj',
		'/CN=127.0.0.1',
	);
	writeFileSync(
		join(dir, 'ext.cnf'),
		`subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...names.map((name) => `DNS:${name}`)].join(',')}\n`,
	);
	run(
		'x509',
		'-req',
		'-in',
		'server.csr',
		'-CA',
		'ca.pem',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-out',
		'server.pem',
		'-days',
		'2',
		'-extfile',
		'ext.cnf',
	);
	run(
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-keyout',
		'self.key',
		'-out',
		'self.pem',
		'-days',
		'2',
		'-subj',
		'/CN=127.0.0.1',
		'-addext',
		'subjectAltName=IP:127.0.0.1',
	);
	const read = (name: string) => readFileSync(join(dir, name), 'utf8');
	return {
		caFile: join(dir, 'ca.pem'),
		ca: read('ca.pem'),
		key: read('server.key'),
		cert: read('server.pem'),
		selfSignedKey: read('self.key'),
		selfSignedCert: read('self.pem'),
		cleanup: () => rmSync(dir, { recursive: true, force: true }),
	};
}
