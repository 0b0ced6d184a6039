import { heldRevision } from '../../policy';
import type { PolicyService, PublishedRevision } from './policy-service';
import type { Rollouts } from './rollouts';
import { baseVariant, hasOverlays, type MemberPolicy, type PolicyVariants } from './variants';

export interface ServedPolicyDeps {
	readonly policies: Pick<PolicyService, 'current' | 'newestInMemory'>;
	readonly rollouts: Pick<Rollouts, 'served'>;
	readonly variants: Pick<PolicyVariants, 'forMember'>;
	/** The names of a member's groups (read only while a rollout to a group is under way). */
	readonly groupsOf: (userId: string) => Promise<readonly string[]>;
}

/** A member of an organization. */
export interface Reader {
	readonly id: string;
	readonly orgId: string;
}

/**
 * What a member is served of their organization's policy now: the newest revision, or while it rolls
 * out to a canary they are not in the one before, with their groups' overlays applied. Undefined:
 * the organization has no policy yet.
 *
 * Nearly every read finds the newest revision in memory with no rollout and no overlays; that read
 * is answered without a promise, because it is the service's hottest path and each promise on it is
 * a measurable share of a read (bench/NOTES.md, *Policy reads*). Anything else takes the full path.
 */
export function servedPolicy(
	deps: ServedPolicyDeps,
	reader: Reader,
	ifNoneMatch?: string,
): MemberPolicy | undefined | Promise<MemberPolicy | undefined> {
	const newest = deps.policies.newestInMemory(reader.orgId);
	return servedAlike(newest) ?? servedEventually(deps, reader, newest, ifNoneMatch);
}

/**
 * The usual case of {@link servedPolicy} alone: the organization's newest revision, when it is in
 * memory with no rollout and no overlays, so every member is served the same; otherwise undefined
 * (ask `servedPolicy`).
 */
export function servedFromMemory(
	deps: { readonly policies: Pick<PolicyService, 'newestInMemory'> },
	reader: Reader,
): MemberPolicy | undefined {
	return servedAlike(deps.policies.newestInMemory(reader.orgId));
}

/** The revision as every member is served it, when they all are (no rollout, no overlays). */
function servedAlike(newest: PublishedRevision | undefined): MemberPolicy | undefined {
	return newest && !newest.rollout && !hasOverlays(newest) ? baseVariant(newest) : undefined;
}

async function servedEventually(
	deps: ServedPolicyDeps,
	reader: Reader,
	inMemory: PublishedRevision | undefined,
	ifNoneMatch: string | undefined,
): Promise<MemberPolicy | undefined> {
	const newest = inMemory ?? (await deps.policies.current(reader.orgId));
	if (!newest) {
		return undefined;
	}
	// What the member holds (their If-None-Match) counts while a revision rolls out: see `takesRollout`.
	const current = await deps.rollouts.served(newest, reader.id, () => deps.groupsOf(reader.id), heldRevision(ifNoneMatch));
	return deps.variants.forMember(current, reader.id);
}
