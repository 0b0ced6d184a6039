/**
 * A worker process holding many raw Server-Sent Events streams: it reads frames and notes each
 * `id:` it sees, nothing more (no signature check, no JSON parse), so what it measures is the
 * server's fan-out. Used against the policy service and against a bare server alike.
 *
 * Protocol over IPC: the parent forks it with a {@link ReaderConfig} (JSON in argv[2], or `@path` to a
 * file holding it when the tokens are too many for a command line); the worker
 * answers `ready` once every stream is open, `arrived` once every stream saw `config.target`
 * (times and CPU since `go`), and `tally` when asked (`{ type: 'tally' }`).
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { wallClock } from './common';

export interface ReaderConfig {
	/** The event stream's full URL. */
	url: string;
	/** Bearer tokens, used in turn; empty for a server that asks none. */
	tokens: string[];
	count: number;
	/** Sent as Last-Event-ID, so the stream starts after that revision. */
	lastEventId?: number;
	/** The revision whose arrival on every stream is timed; omitted in a soak. */
	target?: number;
	/**
	 * The loopback address this worker's connections come from. Each source address has its own
	 * ephemeral ports (about 28,000 on Linux) towards the server, so workers on different addresses
	 * together open more streams than one address could.
	 */
	localAddress?: string;
}

export type ReaderMessage =
	| { type: 'ready' }
	| { type: 'arrived'; times: number[]; cpuMicros: number }
	| { type: 'tally'; open: number; errors: string[]; received: number[][] }
	| { type: 'error'; message: string };

export type ParentMessage = { type: 'go' } | { type: 'tally' };

async function main(): Promise<void> {
	const argument = process.argv[2]!;
	const config = JSON.parse(argument.startsWith('@') ? readFileSync(argument.slice(1), 'utf8') : argument) as ReaderConfig;
	const send = (message: ReaderMessage) => process.send!(message);
	const dispatcher = new Agent({
		connections: null,
		pipelining: 0,
		keepAliveTimeout: 60_000,
		headersTimeout: 0,
		bodyTimeout: 0,
		...(config.localAddress ? { connect: { localAddress: config.localAddress } } : {}),
	});
	const received: number[][] = Array.from({ length: config.count }, () => []);
	const errors: string[] = [];
	const times: number[] = [];
	let cpuAtGo = process.cpuUsage();
	let open = 0;
	let ready = 0;

	process.on('message', (message: ParentMessage) => {
		if (message.type === 'go') {
			cpuAtGo = process.cpuUsage();
		} else {
			send({ type: 'tally', open, errors: errors.slice(0, 20), received });
		}
	});

	const onFrame = (stream: number, frame: string) => {
		const id = /^id: ?(\d+)$/m.exec(frame);
		if (!id) {
			return;
		}
		const revision = Number(id[1]);
		received[stream]!.push(revision);
		if (revision === config.target) {
			times.push(wallClock());
			if (times.length === config.count) {
				const cpu = process.cpuUsage(cpuAtGo);
				send({ type: 'arrived', times, cpuMicros: cpu.user + cpu.system });
			}
		}
	};

	const read = async (stream: number) => {
		const token = config.tokens[stream % Math.max(1, config.tokens.length)];
		const headers: Record<string, string> = { accept: 'text/event-stream', 'org-policy-schema': '2' };
		if (token) {
			headers.authorization = `Bearer ${token}`;
		}
		if (config.lastEventId !== undefined) {
			headers['last-event-id'] = String(config.lastEventId);
		}
		// Opening thousands of connections at once on a loaded machine can meet a full accept queue;
		// that is the harness's problem, not delivery's, so an open is retried a few times.
		let response: Awaited<ReturnType<typeof fetch>> | undefined;
		for (let attempt = 1; !response; attempt++) {
			try {
				response = await fetch(config.url, { headers, dispatcher });
			} catch (error) {
				if (attempt === 5) {
					throw error;
				}
				await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
			}
		}
		if (response.status !== 200 || !response.body) {
			throw new Error(`stream ${stream}: HTTP ${response.status}`);
		}
		open++;
		if (++ready === config.count) {
			send({ type: 'ready' });
		}
		const decoder = new TextDecoder();
		let buffer = '';
		try {
			for await (const chunk of response.body) {
				buffer += decoder.decode(chunk as Uint8Array, { stream: true });
				for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
					onFrame(stream, buffer.slice(0, end));
					buffer = buffer.slice(end + 2);
				}
			}
			errors.push(`stream ${stream}: ended by the server`);
		} finally {
			open--;
		}
	};

	for (let stream = 0; stream < config.count; stream++) {
		read(stream).catch((error: unknown) => {
			errors.push(String(error));
			if (ready < config.count) {
				send({ type: 'error', message: String(error) });
			}
		});
		// Open connections in small waves so the accept queue never overflows.
		if (stream % 200 === 199) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
	}
}

void main();
