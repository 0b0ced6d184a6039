import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** What Node publishes on `http.server.response.finish` for every response it finished sending. */
interface ResponseFinished {
	readonly request: IncomingMessage;
	readonly response: ServerResponse;
	readonly server: unknown;
}

/** Told of every response this app sent: its method, route pattern (`unmatched` when no route matched) and status. */
export type ResponseListener = (method: string, route: string, status: number) => void;

const CHANNEL = 'http.server.response.finish';

/**
 * Tells `listener` of every response `app` sends, from Node's own diagnostics channel rather than a
 * fastify `onResponse` hook. A hook on every route cost the members' policy read about 4 µs of the
 * server's CPU, a tenth of its throughput (bench/NOTES.md, *Policy reads*); the channel costs next to
 * nothing. The route's pattern is looked up in a table of the app's own routes, which fastify keeps
 * to itself. Register it before the routes.
 */
export function onEveryResponse(app: FastifyInstance, listener: ResponseListener): void {
	const routes = FindMyWay<FindMyWay.HTTPVersion.V1>();
	app.addHook('onRoute', (route) => {
		for (const method of [route.method].flat() as HTTPMethod[]) {
			if (!routes.hasRoute(method, route.url)) {
				routes.on(method, route.url, () => undefined, { route: route.url });
			}
		}
	});
	const onFinished = (message: unknown): void => {
		const { request, response, server } = message as ResponseFinished;
		if (server !== app.server) {
			// The channel is the process's: other servers (tests run several) publish on it too.
			return;
		}
		const method = request.method ?? 'GET';
		const found = routes.find(method as HTTPMethod, request.url ?? '/');
		const store = found?.store as { route: string } | undefined;
		listener(method, store?.route ?? 'unmatched', response.statusCode);
	};
	subscribe(CHANNEL, onFinished);
	app.addHook('onClose', async () => void unsubscribe(CHANNEL, onFinished));
}
