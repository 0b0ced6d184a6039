import { Disposable, Emitter, type Event } from '../base/disposable';
import type { EffectiveSettings } from '../lock/effective';
import type { SyncState } from '../sync/state';

/** What is in force for the member: the sync state and the effective provider it leads to. */
export interface EffectiveState {
	readonly sync: SyncState;
	readonly settings: EffectiveSettings;
}

/**
 * One event for "what is in force changed", whether the sync state moved (a revision, a sign-out,
 * an outage) or the effective provider did (a member setting, a key): features listen here instead
 * of to both the sync engine and the provider service.
 */
export class EffectiveStateEvents extends Disposable {
	private readonly emitter = this._register(new Emitter<EffectiveState>());
	readonly onDidChange: Event<EffectiveState> = this.emitter.event;

	constructor(
		private readonly sync: { readonly current: SyncState; readonly onDidChangeState: Event<SyncState> },
		private readonly provider: { readonly current: EffectiveSettings; readonly onDidChange: Event<EffectiveSettings> },
	) {
		super();
		this._register(sync.onDidChangeState(() => this.emitter.fire(this.current)));
		this._register(provider.onDidChange(() => this.emitter.fire(this.current)));
	}

	get current(): EffectiveState {
		return { sync: this.sync.current, settings: this.provider.current };
	}
}
