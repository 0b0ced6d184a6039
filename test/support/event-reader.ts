import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface ReadEvent {
	id?: string | undefined;
	event?: string | undefined;
	data?: string;
	comment?: string;
}

/** Reads Server-Sent Events from a fetch response one at a time (comments included), parsed by eventsource-parser. */
export class EventReader {
	private readonly queue: ReadEvent[] = [];
	private readonly reader: ReadableStreamDefaultReader<string>;
	private readonly parser: EventSourceParser;
	private pending: ReturnType<ReadableStreamDefaultReader<string>['read']> | undefined;

	constructor(response: Response) {
		this.reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
		this.parser = createParser({
			onEvent: (message) => this.queue.push({ id: message.id, event: message.event, data: message.data }),
			onComment: (comment) => this.queue.push({ comment: comment.trim() }),
		});
	}

	/** The next event or comment; undefined when the stream ended. */
	async next(timeoutMs = 5000): Promise<ReadEvent | undefined> {
		const deadline = Date.now() + timeoutMs;
		while (this.queue.length === 0) {
			const remaining = deadline - Date.now();
			if (remaining <= 0) {
				throw new Error('no event within the time allowed');
			}
			// A read outlives a timed-out wait, so the chunk it brings is kept for the next call.
			this.pending ??= this.reader.read();
			let timer: NodeJS.Timeout | undefined;
			const chunk = await Promise.race([
				this.pending,
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new Error('no event within the time allowed')), remaining);
				}),
			]).finally(() => clearTimeout(timer));
			this.pending = undefined;
			if (chunk.done) {
				return undefined;
			}
			this.parser.feed(chunk.value);
		}
		return this.queue.shift();
	}

	async cancel(): Promise<void> {
		await this.reader.cancel().catch(() => undefined);
	}
}
