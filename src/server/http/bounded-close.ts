import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Keeps a graceful close from waiting on connections that will not end by themselves. Fastify's
 * `forceCloseConnections: 'idle'` ends idle keep-alive connections, but Node does not count as idle
 * one a client opened and has sent nothing on yet — browsers open such connections ahead of need —
 * and holds `close()` until its `headersTimeout` (60 s); nor does anything end a request that never
 * completes. So on close, connections that have read nothing are ended at once, and whatever is
 * still open `graceMs` later is ended too: a restart or deploy takes seconds, not minutes.
 */
export function boundGracefulClose(app: FastifyInstance, graceMs: number): void {
	const open = new Set<Socket>();
	// Once per connection, not per request: members' reads pay nothing for it.
	app.server.on('connection', (socket: Socket) => {
		open.add(socket);
		socket.once('close', () => open.delete(socket));
	});
	let deadline: NodeJS.Timeout | undefined;
	app.addHook('preClose', async () => {
		for (const socket of open) {
			if (socket.bytesRead === 0) {
				socket.destroy();
			}
		}
		deadline = setTimeout(() => app.server.closeAllConnections(), graceMs);
		deadline.unref();
	});
	app.addHook('onClose', async () => clearTimeout(deadline));
}
