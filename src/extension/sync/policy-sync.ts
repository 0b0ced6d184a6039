import { createParser } from 'eventsource-parser';
import { etagOf, PolicyRejectedError, verifySignedPolicy, type PolicyDocument, type PolicyTrust } from '../../policy';
import { Disposable, Emitter } from '../base/disposable';
import type { Scheduler } from '../base/scheduler';
import type { KeyValueStore } from '../base/storage';
import { serviceFetch, ServiceUnreachableError, type ServiceConnection } from '../base/service-http';

export type SyncStatus = 'signed-out' | 'syncing' | 'in-sync' | 'stale' | 'error';

export interface AppliedPolicy {
	readonly document: PolicyDocument;
	/** Where the applied revision came from: the service just now, or the cache at start-up. */
	readonly source: 'live' | 'cached';
	readonly receivedAt: number;
}

export interface SyncState {
	readonly status: SyncStatus;
	readonly policy: AppliedPolicy | undefined;
	/** For stale: since when the service has been unreachable. */
	readonly since?: number;
	/** For error and stale: why. */
	readonly message?: string;
}

/** Where the last verified policy is kept between sessions (VS Code's global state). */
export type PolicyCacheStore = KeyValueStore;

export interface SyncSession {
	readonly connection: ServiceConnection;
	readonly trust: PolicyTrust;
	accessToken(): Promise<string | undefined>;
	/** After a 401: true when a refreshed token is ready, false when the member is signed out. */
	refresh(): Promise<boolean>;
}

export const BACKOFF = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 } as const;

export interface SyncOptions {
	/**
	 * Members report an applied revision after a random delay within this window, so one save
	 * does not bring every member's report to the service in the same instant.
	 */
	ackSpreadMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = { ackSpreadMs: 2000 };
export const POLL_INTERVAL_MS = 60_000;

const cacheKey = (orgId: string) => `orgProviderPolicy.cache.${orgId}`;
const TRUST_KEY = 'orgProviderPolicy.trust';

class SignedOut extends Error {}
class StreamUnsupported extends Error {}

/** Exponential backoff with jitter: the n-th retry waits between half and all of min(30 s, 1 s·2ⁿ). */
export function backoffDelay(attempt: number, random: number): number {
	const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** attempt);
	return Math.max(BACKOFF.initialMs, Math.round(ceiling / 2 + (random * ceiling) / 2));
}

/**
 * Keeps the member's applied policy equal to the service's newest revision: fetch with ETag,
 * verify against the pinned key, apply, cache, acknowledge; then follow the event stream,
 * falling back to polling; on failure back off and report stale, keeping the last good revision.
 */
export class PolicySync extends Disposable {
	private state: SyncState = { status: 'signed-out', policy: undefined };
	private run: AbortController | undefined;
	private lastRejection: string | undefined;
	private acknowledged: number | undefined;
	private readonly stateChanged = this._register(new Emitter<SyncState>());
	private readonly rejected = this._register(new Emitter<PolicyRejectedError>());
	/** Fires on every state change (status or applied policy). */
	readonly onDidChangeState = this.stateChanged.event;
	/** Fires once per distinct refused policy, not on every retry. */
	readonly onDidRejectPolicy = this.rejected.event;

	constructor(
		private readonly cache: PolicyCacheStore,
		private readonly scheduler: Scheduler,
		private readonly options: SyncOptions = DEFAULT_SYNC_OPTIONS,
	) {
		super();
	}

	get current(): SyncState {
		return this.state;
	}

	/** Applies the cached revision for this organization, if it still verifies. */
	loadCached(trust: PolicyTrust): void {
		const cached = this.cache.get<{ envelope: unknown; receivedAt: number }>(cacheKey(trust.organizationId));
		if (!cached) {
			return;
		}
		try {
			const { policy } = verifySignedPolicy(cached.envelope, trust);
			this.setState({ status: this.state.status, policy: { document: policy, source: 'cached', receivedAt: cached.receivedAt } });
		} catch {
			// A cache that no longer verifies is ignored, never applied.
		}
	}

	/**
	 * At start-up, before any sign-in: applies the cached policy of the organization last signed
	 * in to, with the key pinned then, so a locked provider stays locked after a restart.
	 */
	restoreLastKnown(): void {
		const trust = this.cache.get<PolicyTrust>(TRUST_KEY);
		if (trust) {
			this.loadCached(trust);
		}
	}

	start(session: SyncSession): void {
		this.stop();
		this.lastRejection = undefined;
		this.acknowledged = undefined;
		if (this.state.policy && this.state.policy.document.organization.id !== session.trust.organizationId) {
			// Signed in to another organization: the previous one's policy no longer applies.
			this.setState({ status: this.state.status, policy: undefined });
		}
		void this.cache.update(TRUST_KEY, session.trust);
		this.loadCached(session.trust);
		const run = new AbortController();
		this.run = run;
		this.setState({ ...this.state, status: 'syncing', message: undefined, since: undefined });
		void this.loop(session, run.signal);
	}

	stop(): void {
		this.run?.abort(new Error('stopped'));
		this.run = undefined;
	}

	/** Signed out: sync stops, and the last applied policy stays in force (fail closed). */
	signedOut(): void {
		this.stop();
		this.setState({ status: 'signed-out', policy: this.state.policy });
	}

	/** Fetch now (the Refresh Policy command). */
	async refreshNow(session: SyncSession): Promise<void> {
		await this.fetchOnce(session, new AbortController().signal);
	}

	override dispose(): void {
		this.stop();
		super.dispose();
	}

	private async loop(session: SyncSession, signal: AbortSignal): Promise<void> {
		let attempt = 0;
		let streamSupported = true;
		while (!signal.aborted) {
			const began = this.scheduler.now();
			try {
				await this.fetchOnce(session, signal);
				if (streamSupported) {
					await this.follow(session, signal);
				} else {
					await this.scheduler.sleep(POLL_INTERVAL_MS, signal);
				}
				attempt = 0;
				continue;
			} catch (error) {
				if (signal.aborted) {
					return;
				}
				if (error instanceof SignedOut) {
					this.signedOut();
					return;
				}
				if (error instanceof StreamUnsupported) {
					streamSupported = false;
					continue;
				}
				if (this.scheduler.now() - began >= BACKOFF.resetAfterMs) {
					attempt = 0;
				}
				const unreachable = error instanceof ServiceUnreachableError || (error as Error).name === 'TypeError';
				this.setState({
					...this.state,
					status: this.state.policy ? 'stale' : 'error',
					since: this.state.status === 'stale' ? this.state.since : this.scheduler.now(),
					message: unreachable ? (error as Error).message : `policy sync failed: ${(error as Error).message}`,
				});
			}
			try {
				await this.scheduler.sleep(backoffDelay(attempt++, this.scheduler.random()), signal);
			} catch {
				return;
			}
		}
	}

	private async authorized(session: SyncSession, path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
		for (let retried = false; ; retried = true) {
			const token = await session.accessToken();
			if (!token) {
				throw new SignedOut();
			}
			const response = await serviceFetch(session.connection, path, { ...init, signal, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
			if (response.status !== 401) {
				return response;
			}
			await response.body?.cancel();
			if (retried || !(await session.refresh())) {
				throw new SignedOut();
			}
		}
	}

	private async fetchOnce(session: SyncSession, signal: AbortSignal): Promise<void> {
		const revision = this.state.policy?.source === 'live' ? this.state.policy.document.revision : undefined;
		const response = await this.authorized(session, '/api/v1/policy', { headers: revision ? { 'if-none-match': etagOf(revision) } : {} }, signal);
		if (response.status === 304) {
			this.setState({ ...this.state, status: 'in-sync', message: undefined, since: undefined });
			this.acknowledgeLater(session, signal);
			return;
		}
		if (!response.ok) {
			throw new Error(`GET /api/v1/policy answered ${response.status}`);
		}
		await this.receive(session, await response.json(), signal);
	}

	private async follow(session: SyncSession, signal: AbortSignal): Promise<void> {
		const revision = this.state.policy?.document.revision;
		const response = await this.authorized(
			session,
			'/api/v1/policy/events',
			{ headers: { accept: 'text/event-stream', ...(revision && this.state.policy?.source === 'live' ? { 'last-event-id': String(revision) } : {}) } },
			signal,
		);
		if (response.status === 404 || response.status === 405 || response.status === 501 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
			await response.body?.cancel();
			throw new StreamUnsupported();
		}
		if (!response.ok || !response.body) {
			throw new Error(`the policy event stream answered ${response.status}`);
		}
		const events: { event?: string | undefined; data: string }[] = [];
		const parser = createParser({ onEvent: (event) => events.push({ event: event.event, data: event.data }) });
		const decoder = new TextDecoder();
		for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
			parser.feed(decoder.decode(chunk, { stream: true }));
			for (const event of events.splice(0)) {
				if (event.event === 'revoked') {
					// The service ended this member's tokens; the refresh fails and signs the member out.
					if (!(await session.refresh())) {
						throw new SignedOut();
					}
					return;
				}
				if (event.event === 'policy') {
					await this.receive(session, JSON.parse(event.data), signal);
				}
			}
		}
		throw new ServiceUnreachableError('the policy event stream ended');
	}

	private async receive(session: SyncSession, envelope: unknown, signal: AbortSignal): Promise<void> {
		let document: PolicyDocument;
		try {
			document = verifySignedPolicy(envelope, session.trust).policy;
		} catch (error) {
			if (!(error instanceof PolicyRejectedError)) {
				throw error;
			}
			if (this.lastRejection !== error.message) {
				this.lastRejection = error.message;
				this.rejected.fire(error);
			}
			this.setState({ ...this.state, status: 'error', message: `refused a policy from the service: ${error.message}; revision ${this.state.policy?.document.revision ?? '—'} stays in force` });
			return;
		}
		const applied = this.state.policy;
		const newer = !applied || document.revision > applied.document.revision || applied.source === 'cached';
		if (newer) {
			const receivedAt = this.scheduler.now();
			await this.cache.update(cacheKey(session.trust.organizationId), { envelope, receivedAt });
			this.setState({ status: 'in-sync', policy: { document, source: 'live', receivedAt } });
		} else {
			this.setState({ ...this.state, status: 'in-sync', message: undefined, since: undefined });
		}
		this.acknowledgeLater(session, signal);
	}

	/**
	 * Reports the applied revision to the service, once per revision, after a spread delay. A
	 * report that fails is made again on the next successful fetch.
	 */
	private acknowledgeLater(session: SyncSession, signal: AbortSignal): void {
		const revision = this.state.policy?.source === 'live' ? this.state.policy.document.revision : undefined;
		if (revision === undefined || this.acknowledged === revision) {
			return;
		}
		this.acknowledged = revision;
		void (async () => {
			try {
				const delay = Math.floor(this.scheduler.random() * this.options.ackSpreadMs);
				if (delay > 0) {
					await this.scheduler.sleep(delay, signal);
				}
				const response = await this.authorized(session, '/api/v1/policy/applied', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ revision }) }, signal);
				await response.body?.cancel();
				if (!response.ok) {
					throw new Error(`the service answered ${response.status}`);
				}
			} catch {
				// Stopped, offline or signed out: the sync loop reports that; report again later.
				if (this.acknowledged === revision) {
					this.acknowledged = undefined;
				}
			}
		})();
	}

	private setState(next: SyncState): void {
		this.state = next;
		this.stateChanged.fire(next);
	}
}
