import type { FastifyServerOptions } from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * Answers a request from memory and says so (true), or leaves it untouched (false) for the
 * framework, which then answers it as if the shortcut were not there.
 */
export type RequestShortcut = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * A `serverFactory` for fastify: the HTTP server that offers each request to a shortcut before
 * fastify's router. The members' policy read is the service's hottest request, and fastify's own
 * request and reply objects, router and hook runner cost about as much as the read itself
 * (bench/NOTES.md, *Policy reads*); a read the shortcut cannot answer whole goes to fastify
 * unchanged. The shortcut is set once the services it reads exist (after the instance is made).
 */
export class ShortcutServer {
	private shortcut: RequestShortcut | undefined;

	/** For fastify's `serverFactory` option; applies the timeouts fastify applies to a server it makes. */
	readonly factory = (handler: (request: IncomingMessage, response: ServerResponse) => void, options: FastifyServerOptions): Server => {
		const server = createServer((request, response) => {
			if (!this.shortcut?.(request, response)) {
				handler(request, response);
			}
		});
		server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
		server.requestTimeout = options.requestTimeout ?? 0;
		server.setTimeout(options.connectionTimeout ?? 0);
		if (options.maxRequestsPerSocket) {
			server.maxRequestsPerSocket = options.maxRequestsPerSocket;
		}
		return server;
	};

	use(shortcut: RequestShortcut): void {
		this.shortcut = shortcut;
	}
}
