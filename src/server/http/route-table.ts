import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

/**
 * The app's routes in a `find-my-way` table of our own (fastify keeps its router to itself), each
 * with a value of ours: looked up by method and concrete URL, as fastify routes a request. Construct
 * it before the routes are registered.
 */
export class RouteTable<T> {
	private readonly router = FindMyWay<FindMyWay.HTTPVersion.V1>();
	private readonly methods = new Set<HTTPMethod>();
	/**
	 * The last lookup's answer. Most requests repeat the one before (members' policy reads), and
	 * find-my-way's walk was about 0.35 µs of each (bench/NOTES.md, session 38).
	 */
	private last: { readonly method: string; readonly url: string; readonly value: T | undefined } | undefined;

	constructor(app: FastifyInstance, valueFor: (method: string, route: string) => T) {
		app.addHook('onRoute', (route) => {
			for (const method of [route.method].flat() as HTTPMethod[]) {
				if (!this.router.hasRoute(method, route.url)) {
					this.router.on(method, route.url, () => undefined, valueFor(method, route.url));
					this.last = undefined;
					this.methods.add(method);
				}
			}
		});
	}

	/** The value of the route that answers `method` at `url` (a query string is ignored). */
	find(method: string, url: string): T | undefined {
		const last = this.last;
		if (last !== undefined && last.url === url && last.method === method) {
			return last.value;
		}
		const value = this.router.find(method as HTTPMethod, url)?.store as T | undefined;
		this.last = { method, url, value };
		return value;
	}

	/** The methods some route answers at `url`: what a 405's Allow header lists. */
	methodsAt(url: string): string[] {
		return [...this.methods].filter((method) => this.router.find(method, url) !== null).sort();
	}
}
