import type { CompletionEvent, TokenUsage } from '../../client/completion';
import { ChatRequestError, isChatRequestError } from '../../client/request-error';
import { FAILURE_KINDS, hourOf, type UsageCaller, type UsageOutcome } from '../../policy';
import type { CountedRequest } from './usage-ledger';

/** Where counted requests go: the organization they were made under, and their counts. */
export interface UsageSink {
	add(orgId: string, request: CountedRequest): void;
}

/** What counting needs to know of the policy in force: none while nothing is to be reported. */
export interface UsageContext {
	readonly orgId: string;
	readonly revision: number;
}

/** One request as the meter sees it: who asked, for which model and API, and the text to estimate from. */
export interface MeteredRequest {
	readonly caller: UsageCaller;
	readonly model: string;
	readonly api: 'chat-completions' | 'responses';
	/** The request's messages and tools as sent, counted locally only when the endpoint reports no usage. */
	readonly prompt: () => string;
}

export interface UsageMeterDeps {
	readonly sink: UsageSink;
	/** The organization and revision to count under, or undefined: not counted (reporting off, own provider). */
	readonly context: () => UsageContext | undefined;
	readonly now: () => number;
	/** Tokens of a text for a model (the tokenizer where its encoding is known, else the estimate). */
	readonly countTokens: (model: string, text: string) => number;
	/** The budget's word before a request: a sentence refuses it (a hard budget used up). */
	readonly refusal?: (orgId: string) => string | undefined;
	/** After each counted request (the budget's notices). */
	readonly counted?: (orgId: string) => void;
}

const KNOWN_FAILURES = new Set<string>(FAILURE_KINDS);

function outcomeOf(error: unknown, aborted: boolean): UsageOutcome {
	if (aborted || (error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError'))) {
		return 'cancelled';
	}
	if (isChatRequestError(error) && KNOWN_FAILURES.has(error.kind)) {
		return error.kind;
	}
	return 'other';
}

/**
 * Counts requests at the source, on the one request path every caller uses: time to the first
 * token, total time, tokens as the endpoint reported them (or counted locally, and marked so),
 * and how the request ended. Only counts leave this class: the prompt is read only to count its
 * tokens, on this machine.
 */
export class UsageMeter {
	constructor(private readonly deps: UsageMeterDeps) {}

	measure(request: MeteredRequest, events: AsyncIterable<CompletionEvent>, signal?: AbortSignal): AsyncIterable<CompletionEvent> {
		const context = this.deps.context();
		if (!context) {
			return events;
		}
		const refused = this.deps.refusal?.(context.orgId);
		// Refused, the request is never sent (its events are never read), and counted as refused.
		return this.counted(context, request, refused ? refusedEvents(refused) : events, signal);
	}

	private async *counted(
		context: UsageContext,
		request: MeteredRequest,
		events: AsyncIterable<CompletionEvent>,
		signal: AbortSignal | undefined,
	): AsyncGenerator<CompletionEvent> {
		const started = this.deps.now();
		let firstTokenAt: number | undefined;
		let usage: TokenUsage | undefined;
		let answer = '';
		// Thinking streamed beside the answer: output the endpoint bills, though not the first token of the answer.
		let thought = '';
		let outcome: UsageOutcome = 'cancelled';
		try {
			for await (const event of events) {
				if (event.type === 'text' || event.type === 'tool-call') {
					firstTokenAt ??= this.deps.now();
					answer += event.type === 'text' ? event.text : `${event.name}${JSON.stringify(event.input)}`;
				} else if (event.type === 'reasoning') {
					thought += event.text;
				} else {
					usage = event.usage;
					outcome = 'ok';
				}
				yield event;
			}
		} catch (error) {
			outcome = outcomeOf(error, signal?.aborted === true);
			throw error;
		} finally {
			// A caller that stops reading early (a cancelled request) ends here too, as `cancelled`.
			this.record(context, request, { started, firstTokenAt, usage, answer, thought, outcome });
		}
	}

	private record(
		context: UsageContext,
		request: MeteredRequest,
		seen: {
			started: number;
			firstTokenAt: number | undefined;
			usage: TokenUsage | undefined;
			answer: string;
			thought: string;
			outcome: UsageOutcome;
		},
	): void {
		const ended = this.deps.now();
		// Nothing reported by the endpoint: count what was sent and what came back, here.
		// A request refused before any answer (no key, endpoint down) is counted with no tokens.
		const answered = seen.outcome === 'ok' || seen.firstTokenAt !== undefined || seen.thought !== '';
		const estimated = !seen.usage && answered;
		const tokens = seen.usage ?? (answered ? this.estimate(request, seen) : { input: 0, output: 0 });
		this.deps.sink.add(context.orgId, {
			hour: hourOf(seen.started),
			model: request.model,
			api: request.api,
			caller: request.caller,
			outcome: seen.outcome,
			revision: context.revision,
			inputTokens: tokens.input,
			outputTokens: tokens.output,
			cachedTokens: tokens.cached ?? 0,
			reasoningTokens: tokens.reasoning ?? 0,
			estimatedRequests: estimated ? 1 : 0,
			firstTokenRequests: seen.firstTokenAt === undefined ? 0 : 1,
			firstTokenMs: seen.firstTokenAt === undefined ? 0 : Math.max(0, Math.round(seen.firstTokenAt - seen.started)),
			durationMs: Math.max(0, Math.round(ended - seen.started)),
		});
		this.deps.counted?.(context.orgId);
	}

	/** Tokens counted here: the output includes the thinking, as endpoints count it (`reasoning_tokens` is part of it). */
	private estimate(request: MeteredRequest, seen: { answer: string; thought: string }): TokenUsage {
		const reasoning = seen.thought ? this.deps.countTokens(request.model, seen.thought) : 0;
		return {
			input: this.deps.countTokens(request.model, request.prompt()),
			output: this.deps.countTokens(request.model, seen.answer) + reasoning,
			...(reasoning ? { reasoning } : {}),
		};
	}
}

// eslint-disable-next-line require-yield -- a stream that fails before its first event
async function* refusedEvents(sentence: string): AsyncGenerator<CompletionEvent> {
	throw new ChatRequestError('budget', sentence);
}
