import OpenAI, { APIError } from 'openai';
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type {
	FunctionTool,
	ResponseCreateParamsStreaming,
	ResponseInputContent,
	ResponseInputItem,
	ResponseReasoningItem,
	ResponseStreamEvent,
	ResponseUsage,
} from 'openai/resources/responses/responses';
import { guarded, parsedArguments, type CompletionEvent, type CompletionRequest, type PendingCall, type TokenUsage } from './completion';
import type { ReasoningSummary } from '../policy/model-settings';
import { ChatRequestError } from './request-error';

/** How a Responses-API model is called, from its settings in the policy. */
export interface ResponsesOptions {
	/** Let the service store the conversation (the policy's `store`); off by default. */
	readonly store: boolean;
	/** A reasoning model: its encrypted reasoning is asked for and carried to the next turn. */
	readonly reasoning: boolean;
	/** The summary of its reasoning the policy asks for (shown as the model's thinking); none unless asked. */
	readonly reasoningSummary?: ReasoningSummary | undefined;
}

/**
 * Encrypted reasoning a reasoning model returned beside its tool calls, by call id. With
 * `store: false` the service keeps nothing, so the next turn must carry that reasoning back; the
 * assistants that call us keep tool call ids but no unknown parts, so it is kept here, bounded.
 */
export class ReasoningMemory {
	private readonly byCall = new Map<string, ResponseReasoningItem[]>();

	constructor(private readonly capacity = 256) {}

	remember(callIds: readonly string[], items: readonly ResponseReasoningItem[]): void {
		if (items.length === 0) {
			return;
		}
		for (const id of callIds) {
			this.byCall.delete(id);
			this.byCall.set(id, [...items]);
		}
		while (this.byCall.size > this.capacity) {
			this.byCall.delete(this.byCall.keys().next().value!);
		}
	}

	recall(callId: string): readonly ResponseReasoningItem[] {
		return this.byCall.get(callId) ?? [];
	}
}

function textOf(content: ChatCompletionMessageParam['content']): string {
	if (typeof content === 'string' || content === null || content === undefined) {
		return content ?? '';
	}
	return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

function userContent(content: string | ChatCompletionContentPart[]): string | ResponseInputContent[] {
	if (typeof content === 'string') {
		return content;
	}
	return content.flatMap((part): ResponseInputContent[] => {
		if (part.type === 'text') {
			return [{ type: 'input_text', text: part.text }];
		}
		if (part.type === 'image_url') {
			return [{ type: 'input_image', image_url: part.image_url.url, detail: part.image_url.detail ?? 'auto' }];
		}
		return [];
	});
}

/**
 * A chat conversation as Responses input: leading system and developer messages become the
 * `instructions`; tool calls become `function_call` items (after the reasoning that led to them)
 * and tool results `function_call_output` items with the same `call_id`.
 */
export function responsesInput(
	messages: readonly ChatCompletionMessageParam[],
	memory: ReasoningMemory,
): { instructions?: string; input: ResponseInputItem[] } {
	let start = 0;
	const instructions: string[] = [];
	while (start < messages.length && (messages[start]!.role === 'system' || messages[start]!.role === 'developer')) {
		instructions.push(textOf(messages[start]!.content));
		start++;
	}
	const input: ResponseInputItem[] = [];
	for (const message of messages.slice(start)) {
		switch (message.role) {
			case 'system':
			case 'developer':
				input.push({ role: message.role, content: textOf(message.content) });
				break;
			case 'user':
				input.push({ role: 'user', content: userContent(message.content) });
				break;
			case 'assistant': {
				const text = textOf(message.content);
				if (text) {
					input.push({ role: 'assistant', content: text });
				}
				const calls = (message.tool_calls ?? []).filter((call) => call.type === 'function');
				if (calls[0]) {
					input.push(...memory.recall(calls[0].id));
				}
				for (const call of calls) {
					input.push({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments });
				}
				break;
			}
			case 'tool':
				input.push({ type: 'function_call_output', call_id: message.tool_call_id, output: textOf(message.content) });
				break;
			default:
				break;
		}
	}
	return { ...(instructions.length ? { instructions: instructions.join('\n\n') } : {}), input };
}

/**
 * The policy's request parameters (named as Chat Completions names them) as the Responses API
 * takes them: the output cap as `max_output_tokens`, the effort as `reasoning.effort`, the
 * verbosity as `text.verbosity`; what it has no room for (seed, penalties) is left out.
 */
export function responsesParameters(
	parameters: Record<string, unknown> = {},
	summary?: ReasoningSummary,
): Partial<ResponseCreateParamsStreaming> {
	const cap = parameters['max_completion_tokens'] ?? parameters['max_tokens'];
	const effort = parameters['reasoning_effort'];
	const reasoning = { ...(typeof effort === 'string' ? { effort: effort as 'low' } : {}), ...(summary ? { summary } : {}) };
	return {
		...(typeof parameters['temperature'] === 'number' ? { temperature: parameters['temperature'] } : {}),
		...(typeof parameters['top_p'] === 'number' ? { top_p: parameters['top_p'] } : {}),
		...(typeof cap === 'number' ? { max_output_tokens: cap } : {}),
		...(Object.keys(reasoning).length ? { reasoning } : {}),
		...(typeof parameters['verbosity'] === 'string' ? { text: { verbosity: parameters['verbosity'] as 'low' } } : {}),
	};
}

function usageOf(usage: ResponseUsage | null | undefined): TokenUsage | undefined {
	if (!usage) {
		return undefined;
	}
	return {
		input: usage.input_tokens,
		output: usage.output_tokens,
		...(usage.input_tokens_details?.cached_tokens !== undefined ? { cached: usage.input_tokens_details.cached_tokens } : {}),
		...(usage.output_tokens_details?.reasoning_tokens !== undefined ? { reasoning: usage.output_tokens_details.reasoning_tokens } : {}),
	};
}

/** `response.incomplete`, in the sentences the Chat Completions path gives for the same ends. */
function incomplete(reason: string | undefined): ChatRequestError {
	if (reason === 'max_output_tokens') {
		return new ChatRequestError('truncated', 'The answer was cut off: it reached the maximum output length for this model.');
	}
	if (reason === 'content_filter') {
		return new ChatRequestError('content-filtered', "The endpoint's content filter stopped the answer.");
	}
	return new ChatRequestError('incomplete', `The answer ended before the endpoint finished it (${reason ?? 'no reason given'}).`);
}

/**
 * Streams one Responses-API answer as the same events as a chat completion: text as it arrives,
 * each function call once whole, then the end with the usage the endpoint reported.
 */
export async function* streamResponse(
	sdk: OpenAI,
	request: CompletionRequest,
	options: ResponsesOptions,
	memory: ReasoningMemory,
	signal?: AbortSignal,
): AsyncGenerator<CompletionEvent> {
	const { instructions, input } = responsesInput(request.messages, memory);
	const tools: FunctionTool[] | undefined = request.tools?.map((tool) => ({
		type: 'function',
		name: tool.function.name,
		description: tool.function.description ?? null,
		parameters: tool.function.parameters ?? { type: 'object', properties: {} },
		strict: false,
	}));
	const stream = await sdk.responses.create(
		{
			...responsesParameters(request.parameters, options.reasoningSummary),
			model: request.model,
			...(instructions !== undefined ? { instructions } : {}),
			input,
			stream: true,
			store: options.store,
			...(options.reasoning && !options.store ? { include: ['reasoning.encrypted_content'] } : {}),
			...(tools?.length ? { tools, tool_choice: request.toolChoice ?? 'auto' } : {}),
		},
		signal ? { signal } : {},
	);
	const calls = new Map<string, PendingCall>();
	const reasoning: ResponseReasoningItem[] = [];
	let usage: TokenUsage | undefined;
	let completed = false;
	for await (const event of guarded(stream as AsyncIterable<ResponseStreamEvent>, signal)) {
		switch (event.type) {
			// A refusal is the model's answer in its own words: shown as such, not left as an empty reply.
			case 'response.output_text.delta':
			case 'response.refusal.delta':
				yield { type: 'text', text: event.delta };
				break;
			// Thinking as the endpoint shows it: a summary (OpenAI, Azure) or the raw text (vLLM's gpt-oss).
			case 'response.reasoning_summary_text.delta':
			case 'response.reasoning_text.delta':
				yield { type: 'reasoning', text: event.delta };
				break;
			case 'response.reasoning_summary_part.added':
				if (event.summary_index > 0) {
					yield { type: 'reasoning', text: '\n\n' };
				}
				break;
			case 'response.output_item.added':
				if (event.item.type === 'function_call') {
					calls.set(event.item.id ?? event.item.call_id, { id: event.item.call_id, name: event.item.name, arguments: '' });
				}
				break;
			case 'response.function_call_arguments.delta': {
				const call = calls.get(event.item_id);
				if (call) {
					call.arguments += event.delta;
				}
				break;
			}
			case 'response.output_item.done':
				if (event.item.type === 'function_call') {
					// The whole arguments, as the endpoint sent them at the end, win over the assembled deltas.
					calls.set(event.item.id ?? event.item.call_id, {
						id: event.item.call_id,
						name: event.item.name,
						arguments: event.item.arguments,
					});
				} else if (event.item.type === 'reasoning') {
					const { status: _status, ...item } = event.item;
					reasoning.push(item);
				}
				break;
			case 'response.completed':
				usage = usageOf(event.response.usage);
				completed = true;
				break;
			case 'response.incomplete':
				throw incomplete(event.response.incomplete_details?.reason);
			case 'response.failed': {
				const failure = event.response.error;
				const message = failure?.message || 'the response failed';
				// The endpoint's own words, as an error frame on the Chat Completions path reads.
				throw new APIError(undefined, { message, code: failure?.code ?? null }, message, undefined);
			}
			default:
				break;
		}
	}
	if (signal?.aborted) {
		throw signal.reason ?? new Error('aborted');
	}
	if (!completed) {
		throw new ChatRequestError(
			'incomplete',
			'The answer ended before the endpoint finished it (the stream closed without response.completed).',
		);
	}
	const whole = [...calls.values()];
	memory.remember(
		whole.map((call) => call.id),
		reasoning,
	);
	for (const call of whole) {
		yield { type: 'tool-call', id: call.id, name: call.name, input: parsedArguments(call) };
	}
	yield { type: 'end', reason: whole.length ? 'tool_calls' : 'stop', ...(usage ? { usage } : {}) };
}
