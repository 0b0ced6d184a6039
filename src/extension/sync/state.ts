import { overlayFingerprint, type PolicyDocument } from '../../policy';
import { CANNOT_VERIFY_MESSAGE } from './start-up-policy';

export interface AppliedPolicy {
	readonly document: PolicyDocument;
	/** Where the applied revision came from: the service just now, or the cache at start-up. */
	readonly source: 'live' | 'cached';
	readonly receivedAt: number;
}

/**
 * Where the member's policy sync stands. In every state the last applied policy (if any) stays
 * in force: a member is never unlocked by an outage or a sign-out.
 */
export type SyncState =
	| { readonly status: 'signed-out'; readonly policy: AppliedPolicy | undefined }
	| { readonly status: 'syncing'; readonly policy: AppliedPolicy | undefined }
	| { readonly status: 'in-sync'; readonly policy: AppliedPolicy }
	/**
	 * The policy could not be brought up to date: `since` is when that began, `reason` what failed
	 * last, `unreachable` whether that was the network (offline) or an answer of the service's (a refusal).
	 */
	| {
			readonly status: 'stale';
			readonly policy: AppliedPolicy;
			readonly since: number;
			readonly reason: string;
			readonly unreachable: boolean;
	  }
	| { readonly status: 'error'; readonly policy: AppliedPolicy | undefined; readonly message: string }
	/**
	 * A key is pinned but no policy verifies against it (the cache is gone, altered or rolled
	 * back): nothing may be used until a verified policy arrives. Locked, with why.
	 */
	| { readonly status: 'cannot-verify'; readonly policy: undefined; readonly organizationId: string; readonly message: string };

export type SyncStatus = SyncState['status'];

/** What happened to the sync engine; {@link transition} is the only way its state changes. */
export type SyncEvent =
	/** A verified policy from the cache, at start-up or sign-in. */
	| { readonly type: 'restored'; readonly policy: AppliedPolicy }
	/** A key is pinned for this organization but the cache holds no policy that verifies. */
	| { readonly type: 'unverifiable'; readonly organizationId: string }
	/** Sync began for an organization; another organization's policy stops applying. */
	| { readonly type: 'started'; readonly organizationId: string }
	| { readonly type: 'signed-out' }
	/** A verified policy from the service. */
	| { readonly type: 'received'; readonly policy: AppliedPolicy }
	/** The service confirmed the applied revision is current (304). */
	| { readonly type: 'confirmed' }
	| { readonly type: 'failed'; readonly reason: string; readonly unreachable: boolean; readonly at: number }
	/**
	 * The service sent a policy that does not verify, or is older than one applied before; the applied
	 * one stays. `needsUpdate`: the organization's own policy, in a schema only a newer extension reads.
	 */
	| { readonly type: 'refused'; readonly reason: string; readonly needsUpdate?: boolean };

export const INITIAL_STATE: SyncState = { status: 'signed-out', policy: undefined };

/** Whether a verified document should replace the applied policy: never an older revision. */
export function supersedes(document: PolicyDocument, applied: AppliedPolicy | undefined): boolean {
	return (
		!applied ||
		applied.source === 'cached' ||
		document.revision > applied.document.revision ||
		// The same revision made with other group overlays: the member's groups changed.
		(document.revision === applied.document.revision &&
			overlayFingerprint(document.appliedOverlays) !== overlayFingerprint(applied.document.appliedOverlays))
	);
}

export function transition(state: SyncState, event: SyncEvent): SyncState {
	if (state.status === 'cannot-verify' && event.type !== 'received' && event.type !== 'restored') {
		// Locked until a verified policy arrives; a sign-out, a failure or a refusal changes nothing but why.
		return event.type === 'failed' || event.type === 'refused'
			? { ...state, message: `${CANNOT_VERIFY_MESSAGE} (${event.reason})` }
			: state;
	}
	switch (event.type) {
		case 'unverifiable':
			return state.policy
				? state
				: { status: 'cannot-verify', policy: undefined, organizationId: event.organizationId, message: CANNOT_VERIFY_MESSAGE };
		case 'restored':
			// Only before the service answered: a live policy is never replaced by a cached one.
			return state.status === 'signed-out' || state.status === 'syncing' || state.status === 'cannot-verify'
				? { status: state.status === 'cannot-verify' ? 'syncing' : state.status, policy: event.policy }
				: state;
		case 'started': {
			const policy = state.policy?.document.organization.id === event.organizationId ? state.policy : undefined;
			return { status: 'syncing', policy };
		}
		case 'signed-out':
			return { status: 'signed-out', policy: state.policy };
		case 'received':
			return { status: 'in-sync', policy: supersedes(event.policy.document, state.policy) ? event.policy : (state.policy ?? event.policy) };
		case 'confirmed':
			return state.policy ? { status: 'in-sync', policy: state.policy } : { status: 'syncing', policy: undefined };
		case 'failed': {
			const reason = event.unreachable ? event.reason : `policy sync failed: ${event.reason}`;
			if (!state.policy) {
				return { status: 'error', policy: undefined, message: reason };
			}
			const since = state.status === 'stale' ? state.since : event.at;
			return { status: 'stale', policy: state.policy, since, reason, unreachable: event.unreachable };
		}
		case 'refused':
			return {
				status: 'error',
				policy: state.policy,
				message: event.needsUpdate
					? `your organization's policy needs a newer version of this extension (${event.reason}): update it; revision ${state.policy?.document.revision ?? '—'} stays in force`
					: `refused a policy from the service: ${event.reason}; revision ${state.policy?.document.revision ?? '—'} stays in force`,
			};
	}
}
