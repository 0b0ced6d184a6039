import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { APIConnectionError, APIError } from 'openai';
import { ChatRequestError } from './errors';

/** An error the endpoint itself sent (its status or an error frame), not a failure of the connection. */
const isServerError = (error: unknown): boolean => error instanceof APIError && !(error instanceof APIConnectionError);

export type { ChatCompletionContentPart, ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/** A chat-completions request as the member's assistant asks it; the client adds the endpoint's parts. */
export interface CompletionRequest {
	model: string;
	messages: ChatCompletionMessageParam[];
	tools?: ChatCompletionFunctionTool[];
	/** `required`: the model must call one of the tools. */
	toolChoice?: 'auto' | 'required';
	/** Request parameters the policy pins for this model (e.g. `max_completion_tokens`, `reasoning_effort`). */
	parameters?: Record<string, unknown>;
	/**
	 * The caller shows the model's thinking (the chat view): only then is the summary the policy
	 * asks for requested, since stable VS Code's Language Model API has no part to carry it.
	 */
	showsThinking?: boolean;
}

/** Tokens as the endpoint reported them for one request (cached and reasoning where it says). */
export interface TokenUsage {
	readonly input: number;
	readonly output: number;
	readonly cached?: number;
	readonly reasoning?: number;
}

export type CompletionEvent =
	| { readonly type: 'text'; readonly text: string }
	/**
	 * A reasoning model's thinking (or its summary) as the endpoint streams it beside the answer: for
	 * the member to read, never part of the answer nor sent back with the next turn.
	 */
	| { readonly type: 'reasoning'; readonly text: string }
	/** A whole tool call, its streamed argument pieces assembled and parsed. */
	| { readonly type: 'tool-call'; readonly id: string; readonly name: string; readonly input: Record<string, unknown> }
	/** The answer is whole; `usage` when the endpoint reported it. */
	| { readonly type: 'end'; readonly reason: string; readonly usage?: TokenUsage };

/** Whether to ask a Chat Completions endpoint for the usage chunk (`stream_options.include_usage`), and what to do when it refuses. */
export interface UsageOption {
	readonly wanted: boolean;
	refused(): void;
}

function refusesStreamOptions(error: unknown): boolean {
	return (
		error instanceof APIError &&
		error.status === 400 &&
		(error.param === 'stream_options' || /stream_options/.test(error.message) || /stream_options/.test(JSON.stringify(error.error ?? '')))
	);
}

/** The stream of an answer failed after it had begun (recognized by name across bundles). */
export class StreamInterruptedError extends Error {
	override readonly name = 'StreamInterruptedError';
}

export interface PendingCall {
	id: string;
	name: string;
	arguments: string;
}

/** Parses a tool call's arguments; a model that wrote something else gets a clear error, never a silent drop. */
export function parsedArguments(call: PendingCall): Record<string, unknown> {
	try {
		const input: unknown = JSON.parse(call.arguments || '{}');
		if (input && typeof input === 'object' && !Array.isArray(input)) {
			return input as Record<string, unknown>;
		}
	} catch {
		// reported below
	}
	throw new ChatRequestError(
		'bad-response',
		`The model called the tool "${call.name}" with arguments that are not a JSON object: ${call.arguments.slice(0, 200)}`,
	);
}

/** What a finish reason means for the member, when it means the answer is not whole. */
function unfinished(reason: string | null | undefined): ChatRequestError | undefined {
	switch (reason) {
		case 'length':
			return new ChatRequestError('truncated', 'The answer was cut off: it reached the maximum output length for this model.');
		case 'content_filter':
			return new ChatRequestError('content-filtered', "The endpoint's content filter stopped the answer.");
		case undefined:
		case null:
			return new ChatRequestError(
				'incomplete',
				'The answer ended before the endpoint finished it (the stream closed without a finish reason).',
			);
		default:
			return undefined;
	}
}

/**
 * Streams one chat completion: text as it arrives, each tool call once whole (its pieces are
 * assembled by index), then the finish reason. An answer that is not whole (cut off, filtered,
 * or a stream that just stops) ends with a `ChatRequestError` after the text it did bring.
 */
export async function* streamCompletion(
	sdk: OpenAI,
	request: CompletionRequest,
	signal?: AbortSignal,
	usageOption: UsageOption = { wanted: false, refused: () => undefined },
): AsyncGenerator<CompletionEvent> {
	const create = (withUsage: boolean) =>
		sdk.chat.completions.create(
			{
				...request.parameters,
				model: request.model,
				messages: request.messages,
				stream: true,
				...(withUsage ? { stream_options: { include_usage: true } } : {}),
				...(request.tools?.length ? { tools: request.tools, tool_choice: request.toolChoice ?? 'auto' } : {}),
			},
			signal ? { signal } : {},
		);
	let stream: Awaited<ReturnType<typeof create>>;
	try {
		stream = await create(usageOption.wanted);
	} catch (error) {
		// A gateway or older server that refuses the usage option is asked again without it (once per client).
		if (!usageOption.wanted || !refusesStreamOptions(error)) {
			throw error;
		}
		usageOption.refused();
		stream = await create(false);
	}
	const calls = new Map<number, PendingCall>();
	let reason: string | null | undefined;
	let usage: TokenUsage | undefined;
	for await (const chunk of guarded(stream as AsyncIterable<ChatCompletionChunk>, signal)) {
		if (chunk.usage) {
			usage = {
				input: chunk.usage.prompt_tokens,
				output: chunk.usage.completion_tokens,
				...(chunk.usage.prompt_tokens_details?.cached_tokens !== undefined
					? { cached: chunk.usage.prompt_tokens_details.cached_tokens }
					: {}),
				...(chunk.usage.completion_tokens_details?.reasoning_tokens !== undefined
					? { reasoning: chunk.usage.completion_tokens_details.reasoning_tokens }
					: {}),
			};
		}
		// Some servers send keep-alive or usage chunks without choices.
		const choice = chunk.choices?.[0];
		if (!choice) {
			continue;
		}
		if (choice.delta?.content) {
			yield { type: 'text', text: choice.delta.content };
		}
		const thinking = reasoningOf(choice.delta);
		if (thinking) {
			yield { type: 'reasoning', text: thinking };
		}
		// A refusal (structured outputs) is the model's answer in its own words, not an empty reply.
		if (choice.delta?.refusal) {
			yield { type: 'text', text: choice.delta.refusal };
		}
		for (const delta of choice.delta?.tool_calls ?? []) {
			const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
			call.id ||= delta.id ?? '';
			call.name ||= delta.function?.name ?? '';
			call.arguments += delta.function?.arguments ?? '';
			calls.set(delta.index, call);
		}
		reason = choice.finish_reason ?? reason;
	}
	if (signal?.aborted) {
		// The SDK ends an aborted stream quietly; callers must still learn that it was cut short.
		throw signal.reason ?? new Error('aborted');
	}
	for (const [index, call] of [...calls.entries()].sort(([a], [b]) => a - b)) {
		yield { type: 'tool-call', id: call.id || `call_${index}`, name: call.name, input: parsedArguments(call) };
	}
	const failure = unfinished(reason);
	if (failure) {
		throw failure;
	}
	yield { type: 'end', reason: reason!, ...(usage ? { usage } : {}) };
}

/**
 * The thinking a chunk carries, where servers that serve reasoning models put it beside the answer:
 * vLLM and SGLang as `reasoning` (vLLM before 0.11, and DeepSeek's own API, as `reasoning_content`).
 * Not in OpenAI's types, so read with care; one field only, as a server in transition may send both.
 */
function reasoningOf(delta: object | undefined): string | undefined {
	const extra = delta as { reasoning?: unknown; reasoning_content?: unknown } | undefined;
	const value = typeof extra?.reasoning === 'string' ? extra.reasoning : extra?.reasoning_content;
	return typeof value === 'string' && value ? value : undefined;
}

/**
 * An answer's stream with its failures told apart: the server's own error inside the stream (an
 * `error` frame, which the SDK raises as an APIError) comes through as it is; only a network
 * failure is an interruption.
 */
export async function* guarded<T>(stream: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
	try {
		yield* stream;
	} catch (error) {
		if (signal?.aborted || isServerError(error)) {
			throw error;
		}
		// The answer had begun: a failure now is a cut or a stall, not an endpoint out of reach.
		throw new StreamInterruptedError('the answer stopped part-way', { cause: error });
	}
}
