// Preloaded (`node --require`) into a server process by bench/fan-out-in-process.ts: it opens event
// streams to that process's own HTTP server over in-process duplex pairs (`node:stream` duplexPair),
// which take no file descriptor, and reads them. Each stream is a real HTTP/1.1 request, parsed by
// Node's HTTP parser and answered by the server's real route; only the transport is not a socket.
// Plain CommonJS, so the server process loads nothing else (its RSS stays its own and the readers').
//
// Protocol over IPC with the parent:
//   { type: 'open', count, path, tokens, lastEventId?, target } → { type: 'ready' } once every stream
//     has its response headers;
//   { type: 'memory' } → { type: 'memory', rss } after a garbage collection (with --expose-gc);
//   then every stream's arrival of `target`'s frame → { type: 'arrived', times } (wall clock, ms).
'use strict';
const http = require('node:http');
const { duplexPair } = require('node:stream');
const { performance } = require('node:perf_hooks');
const { setImmediate } = require('node:timers');

/** The process's HTTP server: the first one created (fastify creates it with `http.createServer`). */
/** @type {import('node:http').Server | undefined} */
let server;
const createServer = http.createServer;
http.createServer = (...args) => {
	const created = createServer(...args);
	server ??= created;
	return created;
};

const wallClock = () => performance.timeOrigin + performance.now();
const STATUS_LINE = Buffer.from('HTTP/1.1 ');
const OK = Buffer.from('HTTP/1.1 200');

/** @param {{ count: number; path: string; tokens: string[]; lastEventId?: number; target: number }} config */
async function open(config) {
	if (!server) {
		throw new Error('the process has no listening HTTP server yet');
	}
	// Buffers, not strings: a decoder per reader would be readers' memory, counted in the RSS.
	const target = Buffer.from(`id: ${config.target}\n`);
	const times = [];
	let ready = 0;
	for (let index = 0; index < config.count; index++) {
		const [reader, connection] = duplexPair();
		let opened = false;
		let seen = false;
		reader.on('data', (chunk) => {
			if (!opened && chunk.subarray(0, STATUS_LINE.length).equals(STATUS_LINE)) {
				if (!chunk.subarray(0, OK.length).equals(OK)) {
					process.send({ type: 'error', message: `stream ${index}: ${chunk.subarray(0, 300).toString()}` });
					return;
				}
				opened = true;
				if (++ready === config.count) {
					process.send({ type: 'ready' });
				}
			}
			if (!seen && chunk.includes(target)) {
				seen = true;
				times.push(wallClock());
				if (times.length === config.count) {
					process.send({ type: 'arrived', times });
				}
			}
		});
		server.emit('connection', connection);
		const token = config.tokens.length > 0 ? `authorization: Bearer ${config.tokens[index % config.tokens.length]}\r\n` : '';
		const after = config.lastEventId !== undefined ? `last-event-id: ${config.lastEventId}\r\n` : '';
		reader.write(
			`GET ${config.path} HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\norg-policy-schema: 2\r\n${token}${after}\r\n`,
		);
		// Let the server answer as streams arrive, as it would with connections arriving over time.
		if (index % 500 === 499) {
			await new Promise((resolve) => setImmediate(resolve));
		}
	}
}

process.on('message', (message) => {
	if (message.type === 'open') {
		open(message).catch((error) => process.send({ type: 'error', message: String(error) }));
	} else if (message.type === 'memory') {
		globalThis.gc?.();
		setTimeout(() => process.send({ type: 'memory', rss: process.memoryUsage().rss }), 500);
	}
});
