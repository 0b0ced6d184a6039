import type { Store } from '../../src/server/store/store';

/** Switches a {@link storeOutOfReach} store's outage on and off. */
export interface Outage {
	now: boolean;
}

/** The store's methods that answer at once (not a database round trip), which an outage leaves alone. */
const IMMEDIATE = new Set<PropertyKey>(['onExternalChange', 'notificationsHealthy', 'close']);

/**
 * The store as the service sees it while its database is out of reach: every call fails as
 * node-postgres fails when the connection is refused (`ECONNREFUSED`), the same error the service
 * meets on a real outage, while `outage.now` holds; `only` narrows the outage to those methods
 * (a nested store's by their own names). Everything else is the real store.
 */
export function storeOutOfReach<T extends object = Store>(store: T, outage: Outage, only?: ReadonlySet<PropertyKey>): T {
	const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
	const nested = new Map<PropertyKey, object>();
	return new Proxy(store, {
		get: (target, property) => {
			const value: unknown = Reflect.get(target, property);
			if (typeof value === 'function') {
				const fails = !IMMEDIATE.has(property) && (!only || only.has(property));
				return (...args: unknown[]) => (outage.now && fails ? refused() : (value as (...a: unknown[]) => unknown).apply(target, args));
			}
			if (typeof value === 'object' && value !== null) {
				if (!nested.has(property)) {
					nested.set(property, storeOutOfReach(value, outage, only));
				}
				return nested.get(property);
			}
			return value;
		},
	});
}
