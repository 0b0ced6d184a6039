import { PolicyRejectedError, type PolicyTrust } from '../../policy';
import { Disposable, Emitter } from '../base/disposable';
import type { Scheduler } from '../base/scheduler';
import { describeServiceFailure, isServiceUnreachable } from '../base/service-http';
import { backoffDelay, DEFAULT_SYNC_OPTIONS, POLL_INTERVAL_MS, type SyncOptions } from './timing';
import type { ListedKeyValueStore, SecretStore } from '../base/storage';
import { Acknowledgements } from './acknowledgements';
import { PolicyCache } from './policy-cache';
import { INITIAL_STATE, supersedes, transition, type SyncEvent, type SyncState } from './state';
import { RefreshRequests } from './refresh-requests';
import { LoopSteps } from './loop-steps';
import { followEventStream } from './event-stream';
import { startUpEvent } from './start-up-event';
import type { StartUpPolicy } from './start-up-policy';
import { PolicyTransport, type SyncSession } from './transport';

export type { AppliedPolicy, SyncState, SyncStatus } from './state';
export type { SyncSession } from './transport';
export { BACKOFF, backoffDelay, DEFAULT_SYNC_OPTIONS, MISSED_HEARTBEATS, POLL_INTERVAL_MS, type SyncOptions } from './timing';

/**
 * Keeps the member's applied policy equal to the service's newest revision: fetch with ETag,
 * verify against the pinned key, apply, cache, acknowledge; then follow the event stream,
 * falling back to polling; on failure back off and report stale, keeping the last good revision.
 * Every change of state goes through {@link transition}.
 */
export class PolicySync extends Disposable {
	private state: SyncState = INITIAL_STATE;
	private readonly cache: PolicyCache;
	private run: AbortController | undefined;
	private readonly refreshes = new RefreshRequests();
	private readonly steps = new LoopSteps(this.refreshes);
	private lastRejection: string | undefined;
	private readonly acknowledgements: Acknowledgements;
	/** The newest revision ever applied under the pinned key: nothing older is applied again. */
	private highestApplied = 0;
	/** What revisions are verified against: the pin, which may have moved past the session's key through endorsements. */
	private trust: PolicyTrust | undefined;
	private readonly stateChanged = this._register(new Emitter<SyncState>());
	private readonly rejected = this._register(new Emitter<PolicyRejectedError>());
	/** Fires on every state change (status or applied policy). */
	readonly onDidChangeState = this.stateChanged.event;
	/** Fires once per distinct refused policy, not on every retry. */
	readonly onDidRejectPolicy = this.rejected.event;

	constructor(
		storage: { readonly state: ListedKeyValueStore; readonly secrets: SecretStore },
		private readonly scheduler: Scheduler,
		options: SyncOptions = DEFAULT_SYNC_OPTIONS,
	) {
		super();
		this.cache = new PolicyCache(storage.state, storage.secrets);
		this.acknowledgements = new Acknowledgements(scheduler, options.ackSpreadMs);
	}

	get current(): SyncState {
		return this.state;
	}

	private dispatch(event: SyncEvent): void {
		this.state = transition(this.state, event);
		this.stateChanged.fire(this.state);
	}

	/**
	 * At start-up: the decision the activation path made from the cache (see start-up-policy.ts) put
	 * in force at once, the document checked again with every rule; what it left to the full check
	 * is decided by {@link restoreLastKnown}. The cache is not read or verified a second time.
	 */
	adoptStartUp(startUp: StartUpPolicy): Promise<void> {
		if (startUp.kind === 'needs-full-check') {
			// An earlier release's copy, among others: moved to secret storage, then checked there.
			return this.cache.moveEarlierCopies().then(() => this.restoreLastKnown());
		}
		// Other organizations' copies an earlier release left in global state (the member's own is
		// never decided on the precompiled path): moved while the decision is applied, which cannot wait.
		void this.cache.moveEarlierCopies();
		if (startUp.kind !== 'none') {
			this.highestApplied = startUp.highestRevision;
		}
		const event = startUpEvent(startUp);
		if (event) {
			this.dispatch(event);
		}
		return Promise.resolve();
	}

	/**
	 * At start-up, before any sign-in: applies the cached policy of the organization last signed
	 * in to, verified against the key pinned then, so a locked provider stays locked after a
	 * restart; with a pin but no policy that verifies, nothing is used (cannot verify).
	 */
	async restoreLastKnown(): Promise<void> {
		const pin = await this.cache.pin();
		if (pin) {
			await this.restoreFor({ organizationId: pin.organizationId, signingKey: pin.signingKey }, pin.highestRevision);
		}
	}

	private async restoreFor(trust: PolicyTrust, highestRevision: number): Promise<void> {
		this.highestApplied = highestRevision;
		const cached = await this.cache.load(trust, highestRevision);
		if (cached) {
			this.dispatch({ type: 'restored', policy: cached });
		} else if (highestRevision > 0) {
			// A policy was applied under this pin before, and none verifies now: locked, not unlocked.
			this.dispatch({ type: 'unverifiable', organizationId: trust.organizationId });
		}
	}

	start(session: SyncSession): void {
		this.abortLoop();
		this.lastRejection = undefined;
		this.acknowledgements.reset();
		this.dispatch({ type: 'started', organizationId: session.trust.organizationId });
		const run = new AbortController();
		this.run = run;
		void (async () => {
			this.trust = await this.cache.rememberTrust(session.trust);
			const pin = await this.cache.pin();
			if (!this.state.policy || this.state.policy.source === 'cached') {
				await this.restoreFor(this.trust, pin?.highestRevision ?? 0);
			}
			await this.loop(new PolicyTransport(session), session, run.signal);
		})();
	}

	stop(): void {
		this.abortLoop();
		this.refreshes.fail(new Error('policy sync stopped'));
	}

	private abortLoop(): void {
		this.run?.abort(new Error('stopped'));
		this.run = undefined;
	}

	/** Signed out: sync stops, and the last applied policy stays in force (fail closed). */
	signedOut(): void {
		this.stop();
		this.dispatch({ type: 'signed-out' });
	}

	/**
	 * Fetch now (the Refresh Policy command): the running loop is woken to fetch at once, and this
	 * resolves when that fetch is done. Without a running loop, sync starts with the session.
	 */
	refreshNow(session: SyncSession): Promise<void> {
		const done = this.refreshes.ask();
		if (this.run) {
			this.steps.wake();
		} else {
			this.start(session);
		}
		return done;
	}

	override dispose(): void {
		this.stop();
		super.dispose();
	}

	private async loop(transport: PolicyTransport, session: SyncSession, run: AbortSignal): Promise<void> {
		let attempt = 0;
		let streaming = true;
		while (!run.aborted) {
			// A refresh asked for from here on is answered by the next fetch, not this one.
			const answer = this.refreshes.take();
			let step = await this.steps.run((signal) => this.fetchOnce(transport, session, signal), run, false);
			answer(typeof step === 'object' ? step.failed : undefined);
			// The service answered: a failure after this is a new outage, retried from the shortest wait.
			const reached = step === 'ok';
			if (step === 'ok') {
				step = await this.steps.run((woken) => (streaming ? this.follow(transport, session, woken) : this.poll(woken)), run);
			}
			if (step === 'signed-out') {
				this.signedOut();
				return;
			}
			if (step === 'stopped') {
				return;
			}
			if (step === 'unsupported') {
				streaming = false;
			}
			if (typeof step !== 'object') {
				attempt = 0;
				continue;
			}
			if (reached) {
				attempt = 0;
			}
			this.dispatch({
				type: 'failed',
				reason: describeServiceFailure(step.failed),
				unreachable: isServiceUnreachable(step.failed),
				at: this.scheduler.now(),
			});
			const slept = await this.steps.run(
				(woken) => this.scheduler.sleep(backoffDelay(attempt++, this.scheduler.random()), woken).then(() => 'ok' as const),
				run,
			);
			if (slept === 'stopped') {
				return;
			}
		}
	}

	private async poll(signal: AbortSignal): Promise<'ok'> {
		await this.scheduler.sleep(POLL_INTERVAL_MS, signal);
		return 'ok';
	}

	private async fetchOnce(transport: PolicyTransport, session: SyncSession, signal: AbortSignal): Promise<'ok' | 'signed-out'> {
		const applied = this.state.policy;
		const answer = await transport.policy(applied?.source === 'live' ? applied.document : undefined, signal);
		switch (answer.kind) {
			case 'signed-out':
				return 'signed-out';
			case 'unchanged':
				this.dispatch({ type: 'confirmed' });
				this.acknowledgeLater(transport, signal);
				return 'ok';
			case 'policy':
				await this.receive(transport, session, answer.envelope, signal);
				return 'ok';
		}
	}

	private follow(transport: PolicyTransport, session: SyncSession, signal: AbortSignal): Promise<'ok' | 'signed-out' | 'unsupported'> {
		const applied = this.state.policy;
		return followEventStream(
			transport,
			this.scheduler,
			applied?.source === 'live' ? applied.document.revision : undefined,
			signal,
			(envelope) => this.receive(transport, session, envelope, signal),
		);
	}

	private async receive(transport: PolicyTransport, session: SyncSession, envelope: unknown, signal: AbortSignal): Promise<void> {
		let document;
		try {
			({ document, trust: this.trust } = await this.cache.verifyFollowingRotation(envelope, this.trust ?? session.trust));
		} catch (error) {
			if (!(error instanceof PolicyRejectedError)) {
				throw error;
			}
			if (this.lastRejection !== error.message) {
				this.lastRejection = error.message;
				this.rejected.fire(error);
			}
			this.dispatch({ type: 'refused', reason: error.message, needsUpdate: error.reason === 'newer-schema' });
			return;
		}
		if (document.revision < this.highestApplied) {
			// A genuine but older revision (a replay, or a service restored from an old backup) never unlocks anything.
			this.dispatch({
				type: 'refused',
				reason: `revision ${document.revision} is older than revision ${this.highestApplied}, applied before (the service's database may have been restored from an earlier backup: its next save reaches you)`,
			});
			return;
		}
		const receivedAt = this.scheduler.now();
		if (supersedes(document, this.state.policy)) {
			await this.cache.save(session.trust.organizationId, envelope, receivedAt);
			this.highestApplied = Math.max(this.highestApplied, document.revision);
			await this.cache.markApplied(document.revision);
		}
		this.dispatch({ type: 'received', policy: { document, source: 'live', receivedAt } });
		this.acknowledgeLater(transport, signal);
	}

	private acknowledgeLater(transport: PolicyTransport, signal: AbortSignal): void {
		const applied = this.state.policy;
		if (applied?.source === 'live') {
			this.acknowledgements.report(applied.document.revision, transport, signal);
		}
	}
}
