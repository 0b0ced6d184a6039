import type { ChatCompletionContentPart, ChatCompletionFunctionTool, ChatCompletionMessageParam, CompletionEvent } from '../../client';

/**
 * Translation between VS Code's Language Model messages and chat-completions messages. VS Code's
 * parts are classes of the `vscode` module; they are recognized here by shape, so this runs (and
 * is tested) in plain Node. Roles use VS Code's numbers: User 1, Assistant 2, and System 3 where
 * the host has it.
 */
export const ROLE = { user: 1, assistant: 2, system: 3 } as const;

export interface RequestMessage {
	readonly role: number;
	readonly content: readonly unknown[];
	readonly name?: string | undefined;
}

export interface RequestTool {
	readonly name: string;
	readonly description: string;
	readonly inputSchema?: object | undefined;
}

type TextPart = { value: string };
type ToolCallPart = { callId: string; name: string; input: object };
type ToolResultPart = { callId: string; content: readonly unknown[] };
type DataPart = { mimeType: string; data: Uint8Array };

const isObject = (part: unknown): part is Record<string, unknown> => typeof part === 'object' && part !== null;
const isText = (part: unknown): part is TextPart => isObject(part) && typeof part.value === 'string' && !('callId' in part);
const isToolCall = (part: unknown): part is ToolCallPart =>
	isObject(part) && typeof part.callId === 'string' && typeof part.name === 'string' && 'input' in part;
const isToolResult = (part: unknown): part is ToolResultPart =>
	isObject(part) && typeof part.callId === 'string' && Array.isArray(part.content);
const isData = (part: unknown): part is DataPart => isObject(part) && typeof part.mimeType === 'string' && part.data instanceof Uint8Array;
const isImage = (part: unknown): part is DataPart => isData(part) && part.mimeType.startsWith('image/');

const imagePart = (part: DataPart): ChatCompletionContentPart => ({
	type: 'image_url',
	image_url: { url: `data:${part.mimeType};base64,${Buffer.from(part.data).toString('base64')}` },
});

/** What a model that takes no images reads where an image was: said, not silently dropped. */
const omittedImage = (part: DataPart) => `[an image (${part.mimeType}) was left out: this model does not take images]`;

/** How a request is translated for the model it goes to. */
export interface TranslationOptions {
	/** The model takes images (its `imageInput` setting): otherwise each image becomes a stated placeholder. */
	readonly imageInput: boolean;
	/** The role instructions go in: `developer` for reasoning models (their settings say so), else `system`. */
	readonly instructionsRole?: 'system' | 'developer';
}

/** What a model reads where a tool call got no result (an interrupted turn): said, so the request stays valid. */
export const MISSING_TOOL_RESULT = '[no result: the tool call was interrupted before it returned]';

/** A tool result's content as the text a `tool` message carries (prompt-tsx and JSON parts serialized). */
function resultText(content: readonly unknown[], options: TranslationOptions): string {
	const pieces = content.map((part) => {
		if (isText(part)) {
			return part.value;
		}
		if (isData(part) && (part.mimeType.startsWith('text/') || part.mimeType === 'application/json')) {
			return new TextDecoder().decode(part.data);
		}
		if (isImage(part)) {
			return options.imageInput ? `[image ${part.mimeType} follows]` : omittedImage(part);
		}
		return isObject(part) && 'value' in part ? JSON.stringify(part.value) : '';
	});
	return pieces.join('') || '(no output)';
}

/** The messages of one VS Code request as chat-completions messages, in order. */
export function toChatMessages(
	messages: readonly RequestMessage[],
	options: TranslationOptions = { imageInput: true },
): ChatCompletionMessageParam[] {
	const out: ChatCompletionMessageParam[] = [];
	for (const message of messages) {
		const texts = message.content.filter(isText).map((part) => part.value);
		if (message.role === ROLE.assistant) {
			const calls = message.content.filter(isToolCall);
			out.push({
				role: 'assistant',
				content: texts.length ? texts.join('') : null,
				...(calls.length
					? {
							tool_calls: calls.map((call) => ({
								id: call.callId,
								type: 'function' as const,
								function: { name: call.name, arguments: JSON.stringify(call.input) },
							})),
						}
					: {}),
			});
			continue;
		}
		if (message.role === ROLE.system) {
			out.push({ role: 'system', content: texts.join('') });
			continue;
		}
		// A user turn: tool results answer the assistant's calls and must come right after them.
		const results = message.content.filter(isToolResult);
		for (const result of results) {
			out.push({ role: 'tool', tool_call_id: result.callId, content: resultText(result.content, options) });
		}
		const images = [...message.content.filter(isImage), ...results.flatMap((result) => result.content.filter(isImage))];
		if (images.length && !options.imageInput) {
			const placeholders = message.content.filter(isImage).map(omittedImage);
			if (texts.length || placeholders.length) {
				out.push({ role: 'user', content: [...texts, ...placeholders].join('\n'), ...(message.name ? { name: message.name } : {}) });
			}
		} else if (images.length) {
			out.push({
				role: 'user',
				content: [...texts.map((text): ChatCompletionContentPart => ({ type: 'text', text })), ...images.map(imagePart)],
			});
		} else if (texts.length || !results.length) {
			out.push({ role: 'user', content: texts.join(''), ...(message.name ? { name: message.name } : {}) });
		}
	}
	return shapedForStrictEndpoints(out, options.instructionsRole ?? 'system');
}

const plainText = (message: ChatCompletionMessageParam): message is ChatCompletionMessageParam & { content: string } =>
	typeof message.content === 'string' && !('tool_calls' in message && message.tool_calls?.length) && !('name' in message && message.name);

/**
 * Conversations the chat templates of strict endpoints (vLLM, text-generation-inference) accept,
 * whatever the assistant sent: Cline and Roo Code put their instructions in an Assistant-role message
 * before any user turn — that becomes the system (or developer) message; consecutive plain messages
 * of one role are joined, so roles alternate; and a tool call left without a result gets a stated
 * one. Each change is harmless for endpoints that do not need it.
 */
export function shapedForStrictEndpoints(
	messages: readonly ChatCompletionMessageParam[],
	instructionsRole: 'system' | 'developer',
): ChatCompletionMessageParam[] {
	const firstUser = messages.findIndex((message) => message.role === 'user');
	const out: ChatCompletionMessageParam[] = messages.map((message, index) => {
		const beforeAnyUser = firstUser === -1 || index < firstUser;
		if (
			(message.role === 'assistant' && plainText(message) && beforeAnyUser) ||
			(message.role === 'system' && instructionsRole === 'developer')
		) {
			return { role: instructionsRole, content: message.content as string };
		}
		return message;
	});
	const shaped: ChatCompletionMessageParam[] = [];
	for (const [index, message] of out.entries()) {
		const previous = shaped.at(-1);
		if (previous && previous.role === message.role && previous.role !== 'tool' && plainText(previous) && plainText(message)) {
			shaped[shaped.length - 1] = { ...previous, content: `${previous.content}\n\n${message.content}` } as ChatCompletionMessageParam;
			continue;
		}
		shaped.push(message);
		if (message.role === 'assistant' && 'tool_calls' in message && message.tool_calls?.length) {
			// Every call needs its result right after it: a call the conversation never answered gets a stated one.
			const answered = new Set<string>();
			for (const next of out.slice(index + 1)) {
				if (next.role !== 'tool') {
					break;
				}
				answered.add(next.tool_call_id);
			}
			const missing = message.tool_calls.filter((call) => !answered.has(call.id));
			const insertAt = shaped.length;
			for (const call of missing) {
				shaped.splice(insertAt, 0, { role: 'tool', tool_call_id: call.id, content: MISSING_TOOL_RESULT });
			}
		}
	}
	return shaped;
}

/** VS Code's tools as function tools; a tool without an input schema takes an empty object. */
export function toChatTools(tools: readonly RequestTool[] | undefined): ChatCompletionFunctionTool[] {
	return (tools ?? []).map((tool) => ({
		type: 'function',
		function: {
			name: tool.name,
			description: tool.description,
			parameters: (tool.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
		},
	}));
}

/** Where a response goes: the feature turns these into `LanguageModelTextPart`s and `LanguageModelToolCallPart`s. */
export interface ResponseSink {
	text(value: string): void;
	toolCall(callId: string, name: string, input: object): void;
}

/** Reports a completion's events to the sink as they arrive; returns the finish reason. */
export async function reportCompletion(events: AsyncIterable<CompletionEvent>, sink: ResponseSink): Promise<string | undefined> {
	let reason: string | undefined;
	for await (const event of events) {
		if (event.type === 'text') {
			sink.text(event.text);
		} else if (event.type === 'tool-call') {
			sink.toolCall(event.id, event.name, event.input);
		} else if (event.type === 'end') {
			reason = event.reason;
		}
	}
	return reason;
}

/** VS Code's `CancellationToken`, as far as a response needs it. */
export interface CancellationLike {
	readonly isCancellationRequested: boolean;
	onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * Streams one answer to the sink; the token aborts the HTTP request (not only the reading of it),
 * so a cancelled request stops costing the organization tokens. Resolves `cancelled` when it did.
 */
export async function respond(
	stream: (signal: AbortSignal) => AsyncIterable<CompletionEvent>,
	token: CancellationLike,
	sink: ResponseSink,
): Promise<'done' | 'cancelled'> {
	const controller = new AbortController();
	const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled by the caller')));
	try {
		if (token.isCancellationRequested) {
			return 'cancelled';
		}
		await reportCompletion(stream(controller.signal), sink);
		return 'done';
	} catch (error) {
		if (token.isCancellationRequested) {
			return 'cancelled';
		}
		throw error;
	} finally {
		cancel.dispose();
	}
}
