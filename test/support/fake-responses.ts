import type { ServerResponse } from 'node:http';

/**
 * The Responses API side of the recording endpoint (`POST …/responses`), streaming the event types
 * OpenAI's published API description defines (`ResponseStreamEvent`), in the order the service
 * sends them: created, in_progress, output items (reasoning, message text or function calls, each
 * added → deltas → done), then completed, incomplete or failed.
 */
export interface ResponsesBehaviour {
	/** The streamed answer text, in these deltas. */
	answer?: string[];
	/**
	 * Function calls to stream while the input does not yet end with a `function_call_output`; once
	 * it does, the text answer: one whole tool round trip.
	 */
	toolCalls?: { id: string; name: string; argumentPieces: string[] }[];
	/** A reasoning item (with encrypted content when asked for by `include`) before the output. */
	reasoning?: boolean;
	/**
	 * That reasoning item's summary, streamed: each part's deltas. As OpenAI and Azure do, it is sent
	 * only when the request asks for one (`reasoning.summary`). Implies `reasoning`.
	 */
	reasoningSummary?: string[][];
	/** The thinking itself, streamed as `reasoning_text` deltas, as vLLM serves gpt-oss. Implies `reasoning`. */
	reasoningText?: string[];
	/** The model declines: a `refusal` content part, in these deltas, instead of the answer text. */
	refusal?: string[];
	/**
	 * How the response ends instead of `response.completed`: incomplete, failed, or an `error` event
	 * (what the service streams when it fails outside a response, e.g. overloaded mid-stream).
	 */
	end?:
		| { kind: 'incomplete'; reason: 'max_output_tokens' | 'content_filter' }
		| { kind: 'failed'; code: string; message: string }
		| { kind: 'error'; code: string; message: string };
	/** The usage `response.completed` reports. */
	usage?: { input: number; output: number; cached: number; reasoning: number };
}

interface RequestBody {
	model: string;
	input?: unknown;
	stream?: boolean;
	include?: string[];
	reasoning?: { summary?: string };
}

/** Every event of one streamed response, as `{ type, …, sequence_number }` objects. */
export function responseEvents(body: RequestBody, behaviour: ResponsesBehaviour): Record<string, unknown>[] {
	const input = Array.isArray(body.input) ? (body.input as { type?: string }[]) : [];
	const calling = behaviour.toolCalls && input.at(-1)?.type !== 'function_call_output' ? behaviour.toolCalls : undefined;
	const base = {
		id: 'resp_1',
		object: 'response',
		created_at: 1700000000,
		model: body.model,
		error: null,
		incomplete_details: null,
		instructions: null,
		metadata: {},
		parallel_tool_calls: true,
		temperature: null,
		tool_choice: 'auto',
		tools: [],
		top_p: null,
	};
	const events: Record<string, unknown>[] = [];
	const output: Record<string, unknown>[] = [];
	const add = (event: Record<string, unknown>) => events.push({ ...event, sequence_number: events.length });
	add({ type: 'response.created', response: { ...base, status: 'in_progress', output: [] } });
	add({ type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [] } });
	let index = 0;
	if (behaviour.reasoning || behaviour.reasoningSummary || behaviour.reasoningText) {
		const encrypted = body.include?.includes('reasoning.encrypted_content') ? { encrypted_content: `enc-${input.length}` } : {};
		const item = { type: 'reasoning', id: `rs_${input.length}`, summary: [] };
		const where = { item_id: item.id, output_index: index };
		add({ type: 'response.output_item.added', output_index: index, item });
		const asked = body.reasoning?.summary !== undefined ? behaviour.reasoningSummary : undefined;
		const summary = (asked ?? []).map((deltas, summary_index) => {
			const text = deltas.join('');
			add({ type: 'response.reasoning_summary_part.added', ...where, summary_index, part: { type: 'summary_text', text: '' } });
			for (const delta of deltas) {
				add({ type: 'response.reasoning_summary_text.delta', ...where, summary_index, delta });
			}
			add({ type: 'response.reasoning_summary_text.done', ...where, summary_index, text });
			add({ type: 'response.reasoning_summary_part.done', ...where, summary_index, part: { type: 'summary_text', text } });
			return { type: 'summary_text', text };
		});
		const thought = behaviour.reasoningText;
		for (const delta of thought ?? []) {
			add({ type: 'response.reasoning_text.delta', ...where, content_index: 0, delta });
		}
		if (thought) {
			add({ type: 'response.reasoning_text.done', ...where, content_index: 0, text: thought.join('') });
		}
		const done = { ...item, summary, ...(thought ? { content: [{ type: 'reasoning_text', text: thought.join('') }] } : {}), ...encrypted };
		add({ type: 'response.output_item.done', output_index: index, item: done });
		output.push(done);
		index++;
	}
	if (calling) {
		for (const call of calling) {
			const item = { type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: '', status: 'in_progress' };
			add({ type: 'response.output_item.added', output_index: index, item });
			for (const piece of call.argumentPieces) {
				add({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: index, delta: piece });
			}
			const whole = call.argumentPieces.join('');
			add({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: call.name, arguments: whole });
			const done = { ...item, arguments: whole, status: 'completed' };
			add({ type: 'response.output_item.done', output_index: index, item: done });
			output.push(done);
			index++;
		}
	} else if (behaviour.refusal) {
		const item = { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] };
		const part = { type: 'refusal', refusal: '' };
		add({ type: 'response.output_item.added', output_index: index, item });
		add({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part });
		for (const delta of behaviour.refusal) {
			add({ type: 'response.refusal.delta', item_id: item.id, output_index: index, content_index: 0, delta });
		}
		const refusal = behaviour.refusal.join('');
		add({ type: 'response.refusal.done', item_id: item.id, output_index: index, content_index: 0, refusal });
		add({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: { ...part, refusal } });
		const done = { ...item, status: 'completed', content: [{ ...part, refusal }] };
		add({ type: 'response.output_item.done', output_index: index, item: done });
		output.push(done);
	} else {
		const answer = behaviour.answer ?? ['Hello', ' from', ' the', ' endpoint', ' ✓'];
		const item = { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] };
		const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
		add({ type: 'response.output_item.added', output_index: index, item });
		add({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part });
		for (const delta of answer) {
			add({ type: 'response.output_text.delta', item_id: item.id, output_index: index, content_index: 0, delta, logprobs: [] });
		}
		const text = answer.join('');
		add({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
		add({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: { ...part, text } });
		const done = { ...item, status: 'completed', content: [{ ...part, text }] };
		add({ type: 'response.output_item.done', output_index: index, item: done });
		output.push(done);
	}
	const usage = behaviour.usage ?? { input: 12, output: 7, cached: 0, reasoning: 0 };
	const reported = {
		input_tokens: usage.input,
		input_tokens_details: { cached_tokens: usage.cached, cache_write_tokens: 0 },
		output_tokens: usage.output,
		output_tokens_details: { reasoning_tokens: usage.reasoning },
		total_tokens: usage.input + usage.output,
	};
	const end = behaviour.end;
	if (end?.kind === 'incomplete') {
		add({
			type: 'response.incomplete',
			response: { ...base, status: 'incomplete', incomplete_details: { reason: end.reason }, output, usage: reported },
		});
	} else if (end?.kind === 'error') {
		add({ type: 'error', code: end.code, message: end.message, param: null });
	} else if (end?.kind === 'failed') {
		add({
			type: 'response.failed',
			response: { ...base, status: 'failed', error: { code: end.code, message: end.message }, output },
		});
	} else {
		add({ type: 'response.completed', response: { ...base, status: 'completed', output, usage: reported } });
	}
	return events;
}

/** Answers one `POST …/responses`: the stream of events, or the whole response when not streamed. */
export function answerResponses(body: RequestBody, behaviour: ResponsesBehaviour, response: ServerResponse): void {
	const events = responseEvents(body, behaviour);
	if (!body.stream) {
		const last = events.at(-1)!;
		response.writeHead(200, { 'content-type': 'application/json' });
		response.end(JSON.stringify(last['response']));
		return;
	}
	response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	response.end(events.map((event) => `event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`).join(''));
}
