import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ResponseCount } from '../metrics';
import { RouteTable } from './route-table';

/** What Node publishes on `http.server.response.finish` for every response it finished sending. */
interface ResponseFinished {
	readonly request: IncomingMessage;
	readonly response: ServerResponse;
	readonly server: unknown;
}

/** Responses to one method of one route (or of none: `unmatched`), by status. */
interface RouteCounts {
	readonly method: string;
	readonly route: string;
	readonly byStatus: Map<number, number>;
}

const CHANNEL = 'http.server.response.finish';

/**
 * Counts every response an app sends by method, route pattern and status, from Node's own
 * diagnostics channel rather than a fastify `onResponse` hook: even an empty hook cost the members'
 * policy read a tenth of its throughput (bench/NOTES.md, *Policy reads*). Each route's counts are its
 * value in a {@link RouteTable}, so counting a response is one lookup and one increment, with no
 * label string built. Construct it before the routes are registered.
 */
export class ResponseCounter {
	/** The app's routes, each with its counts; the 404 handler reads which methods a path answers. */
	readonly routes: RouteTable<RouteCounts>;
	private readonly unmatched = new Map<string, RouteCounts>();
	private readonly all: RouteCounts[] = [];

	constructor(
		app: FastifyInstance,
		/** Told the status of every response to a method other than GET. */
		private readonly onNonGet?: (status: number) => void,
	) {
		this.routes = new RouteTable(app, (method, route) => this.track(method, route));
		const onFinished = (message: unknown): void => {
			const { request, response, server } = message as ResponseFinished;
			// The channel is the process's: other servers (tests run several) publish on it too.
			if (server === app.server) {
				this.count(request.method ?? 'GET', request.url ?? '/', response.statusCode);
			}
		};
		subscribe(CHANNEL, onFinished);
		app.addHook('onClose', async () => void unsubscribe(CHANNEL, onFinished));
	}

	/** Every count so far, one per method, route and status. */
	*counts(): IterableIterator<ResponseCount> {
		for (const { method, route, byStatus } of this.all) {
			for (const [status, count] of byStatus) {
				yield { method, route, status, count };
			}
		}
	}

	private count(method: string, url: string, status: number): void {
		const counts = this.routes.find(method, url) ?? this.unmatchedFor(method);
		counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
		if (method !== 'GET') {
			this.onNonGet?.(status);
		}
	}

	private unmatchedFor(method: string): RouteCounts {
		let counts = this.unmatched.get(method);
		if (!counts) {
			counts = this.track(method, 'unmatched');
			this.unmatched.set(method, counts);
		}
		return counts;
	}

	private track(method: string, route: string): RouteCounts {
		const counts = { method, route, byStatus: new Map<number, number>() };
		this.all.push(counts);
		return counts;
	}
}
