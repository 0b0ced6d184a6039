import assert from 'node:assert/strict';
import { Emitter } from '../../src/extension/base/disposable';
import type { EffectiveSettings } from '../../src/extension/lock/effective';
import { EffectiveStateEvents, type EffectiveState } from '../../src/extension/provider/effective-state';
import { INITIAL_STATE, type SyncState } from '../../src/extension/sync/state';

/** The sync engine and the provider service as far as the event needs them, in memory. */
class Source<T> {
	private readonly emitter = new Emitter<T>();
	readonly event = this.emitter.event;
	constructor(public current: T) {}
	set(next: T): void {
		this.current = next;
		this.emitter.fire(next);
	}
}

describe('one "effective state changed" event', () => {
	it('fires once per change of either the sync state or the effective provider, carrying both', () => {
		const sync = new Source<SyncState>(INITIAL_STATE);
		const provider = new Source<EffectiveSettings>({ locked: false, label: 'OpenAI', warnings: [] } as unknown as EffectiveSettings);
		const events = new EffectiveStateEvents(
			{
				get current() {
					return sync.current;
				},
				onDidChangeState: sync.event,
			},
			{
				get current() {
					return provider.current;
				},
				onDidChange: provider.event,
			},
		);
		const initial = provider.current;
		const seen: EffectiveState[] = [];
		events.onDidChange((state) => seen.push(state));
		const syncing = { ...INITIAL_STATE, status: 'syncing' } as SyncState;
		sync.set(syncing);
		const locked = { ...provider.current, locked: true } as EffectiveSettings;
		provider.set(locked);
		assert.equal(seen.length, 2);
		assert.deepEqual(seen[0], { sync: syncing, settings: initial });
		assert.equal(seen[1]!.sync, syncing);
		assert.equal(seen[1]!.settings, locked);
		assert.deepEqual(events.current, { sync: syncing, settings: locked });
		events.dispose();
		sync.set(INITIAL_STATE);
		assert.equal(seen.length, 2, 'nothing after dispose');
	});
});
