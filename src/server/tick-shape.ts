import { createHook } from 'node:async_hooks';

/** What is kept: referenced for the life of the process, never read. */
const held: object[] = [];

/**
 * Keeps one of Node's own `process.nextTick` entries alive for the life of the process, so the
 * hidden classes (maps) of every later entry stay the same ones.
 *
 * Node builds each entry as an object literal with computed symbol keys. Nothing else holds the
 * maps that literal makes, so a garbage collection that finds no tick queued frees them, and the
 * next tick makes new ones. After a few collections V8 marks the literal's property definitions
 * megamorphic for good, and code optimized from then on (Node's stream and HTTP internals, which
 * inline `nextTick`) defines each property through the runtime: in this service, about a quarter
 * more CPU for every HTTP request than the same server in a small process (bench/NOTES.md,
 * session 38). One live entry keeps the maps, and the definitions stay monomorphic.
 *
 * Call it first, before collections have had the chance: megamorphic feedback does not recover.
 * The entry is caught through an async hook, enabled only around one `nextTick` (async hooks see
 * each entry as its resource); if a Node release stops reporting them, nothing is held and
 * nothing else changes.
 */
export function holdNextTickShape(): void {
	const hook = createHook({
		init(_asyncId, type, _triggerAsyncId, resource) {
			if (type === 'TickObject') {
				held.push(resource);
			}
		},
	}).enable();
	try {
		process.nextTick(() => undefined);
	} finally {
		hook.disable();
	}
}
