import { fnv1a, settingsOf, type PolicyDocument } from '../../policy';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import type { GroupStore } from '../store/group-store';
import type { RolloutOutcomeRecord, RolloutSpec, Store } from '../store/store';
import type { Canary, PolicyService, PublishedRevision, SaveResult } from './policy-service';

/** A member's place in 0–99, from the organization and their id: the same every time, on every instance. */
export function canaryBucket(orgId: string, userId: string): number {
	return fnv1a(`${orgId}:${userId}`) % 100;
}

/** Whether a member (their id and groups' names) is in a rollout's canary. */
export function inCanary(spec: RolloutSpec, orgId: string, userId: string, groups: readonly string[]): boolean {
	if (spec.group !== undefined) {
		const wanted = spec.group.toLowerCase();
		return groups.some((group) => group.toLowerCase() === wanted);
	}
	return canaryBucket(orgId, userId) < (spec.percent ?? 0);
}

/**
 * Whether a member is served a rollout's revision: they are in its canary, or they hold that revision
 * already (they took it in the canary and have since left it, say by leaving the group). Their VS
 * Code refuses an older revision, so serving them the one before would leave them refusing every
 * answer until the rollout ends; they keep the canary's instead.
 */
export function takesRollout(
	spec: RolloutSpec,
	current: Pick<PublishedRevision, 'orgId' | 'revision'>,
	userId: string,
	groups: readonly string[],
	held: number | null | undefined,
): boolean {
	return (held ?? 0) >= current.revision || inCanary(spec, current.orgId, userId, groups);
}

/** A member as the service records them: who, and the newest revision they reported applying. */
export interface ServedMember {
	readonly id: string;
	readonly appliedRevision: number | null;
}

export type CanaryChoice = { ok: true; canary: Canary | undefined } | { ok: false; message: string };

/**
 * The canary a save asks for (`group:<name>`, `percent:<n>`, or none). A group must exist, or the
 * revision would reach nobody and hold every other save back until someone ends it: a typo is
 * refused with the groups there are. Its name is taken as the organization spells it.
 */
export async function canaryOf(
	orgId: string,
	rollout: string | undefined,
	groups: Pick<GroupStore, 'findGroupByName' | 'listGroups'>,
): Promise<CanaryChoice> {
	if (!rollout) {
		return { ok: true, canary: undefined };
	}
	if (!rollout.startsWith('group:')) {
		return { ok: true, canary: { percent: Number(rollout.slice('percent:'.length)) } };
	}
	const name = rollout.slice('group:'.length);
	const group = await groups.findGroupByName(orgId, name);
	if (group) {
		return { ok: true, canary: { group: group.displayName } };
	}
	const names = (await groups.listGroups(orgId)).map((each) => each.displayName).sort();
	const known = names.length
		? `the groups are ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`
		: 'there are no groups yet';
	return { ok: false, message: `rollout: no group is named "${name}" (${known})` };
}

/**
 * Why the organization's newest policy depends on a group's name, if it does: its overlays name it,
 * or it is the canary of the rollout under way. Groups are matched by name, in any case.
 */
export async function groupNamedByPolicy(
	orgId: string,
	name: string,
	deps: { policies: Pick<PolicyService, 'current'>; rollouts: Pick<Rollouts, 'active'> },
): Promise<string | undefined> {
	const current = await deps.policies.current(orgId);
	if (!current) {
		return undefined;
	}
	const key = name.toLowerCase();
	const reasons: string[] = [];
	if ((current.signed.policy as PolicyDocument).overlays?.some((overlay) => overlay.group.toLowerCase() === key)) {
		reasons.push("the policy's group overlays name it");
	}
	if ((await deps.rollouts.active(current))?.group?.toLowerCase() === key) {
		reasons.push(`it is the canary of revision ${current.revision}'s rollout`);
	}
	return reasons.length ? reasons.join(' and ') : undefined;
}

export type RolloutEnd = { ok: true; revision: PublishedRevision } | { ok: false; status: 404 | 409; message: string };

/**
 * Staged rollouts: a revision saved with a canary reaches the canary's members first; everyone else
 * keeps the revision before it until an admin promotes it. Rolling back saves the revision before
 * it again, as a new revision, so members that took the canary's accept it (it is newer) and no
 * member's protection against older revisions is crossed. A rollout nobody ends stays as it is.
 */
export class Rollouts {
	/** Whether each organization's newest revision still rolls out (undefined: not read yet). */
	private readonly ended = new Map<string, { revision: number; outcome: RolloutOutcomeRecord | undefined }>();
	private readonly stable = new Map<string, PublishedRevision>();

	constructor(
		private readonly store: Pick<Store, 'rolloutOutcome' | 'endRollout'>,
		private readonly policies: Pick<PolicyService, 'current' | 'revision' | 'save'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
	) {}

	/** The rollout `current` is in, while it lasts. */
	async active(current: PublishedRevision): Promise<RolloutSpec | undefined> {
		if (!current.rollout) {
			return undefined;
		}
		let known = this.ended.get(current.orgId);
		if (known?.revision !== current.revision) {
			known = { revision: current.revision, outcome: await this.store.rolloutOutcome(current.orgId, current.revision) };
			this.ended.set(current.orgId, known);
		}
		return known.outcome ? undefined : current.rollout;
	}

	/** Another instance (or this one) ended a rollout: read it again. */
	forget(orgId: string): void {
		this.ended.delete(orgId);
	}

	/**
	 * The revision a member is served: the newest, or while it rolls out and they do not take it (see
	 * `takesRollout`), the one before. `held`: the newest revision the member says they hold.
	 */
	async served(
		current: PublishedRevision,
		userId: string,
		groups: () => Promise<readonly string[]>,
		held?: number,
	): Promise<PublishedRevision> {
		const spec = await this.active(current);
		if (!spec) {
			return current;
		}
		// Groups are read only when they decide it.
		const decidingGroups = spec.group !== undefined && (held ?? 0) < current.revision ? await groups() : [];
		return takesRollout(spec, current, userId, decidingGroups, held) ? current : this.stableOf(current.orgId, spec.stable);
	}

	/** Which revision each member is served now (the canary's or the stable one): what "in sync" and "behind" are measured against. */
	async servedRevisions(
		current: PublishedRevision,
		groupsByMember: () => Promise<ReadonlyMap<string, readonly string[]>>,
	): Promise<(member: ServedMember) => number> {
		const spec = await this.active(current);
		if (!spec) {
			return () => current.revision;
		}
		const byMember = spec.group !== undefined ? await groupsByMember() : new Map<string, readonly string[]>();
		return (member) =>
			takesRollout(spec, current, member.id, byMember.get(member.id) ?? [], member.appliedRevision) ? current.revision : spec.stable;
	}

	async stableOf(orgId: string, revision: number): Promise<PublishedRevision> {
		let stable = this.stable.get(orgId);
		if (stable?.revision !== revision) {
			stable = await this.policies.revision(orgId, revision);
			if (!stable) {
				throw new Error(`revision ${revision} of ${orgId} is gone`);
			}
			this.stable.set(orgId, stable);
		}
		return stable;
	}

	/** Everyone gets the canary's revision. */
	async promote(orgId: string, actor: string): Promise<RolloutEnd> {
		const current = await this.policies.current(orgId);
		const spec = current && (await this.active(current));
		if (!current || !spec) {
			return { ok: false, status: 404, message: 'no revision is rolling out' };
		}
		if (!(await this.store.endRollout({ orgId, revision: current.revision, outcome: 'promoted', at: this.clock.now(), by: actor }))) {
			this.forget(orgId);
			return { ok: false, status: 409, message: `the rollout of revision ${current.revision} has ended already` };
		}
		this.forget(orgId);
		await this.audit.record(orgId, actor, 'policy.rollout_promoted', 'ok', { revision: String(current.revision) });
		return { ok: true, revision: current };
	}

	/** The canary goes back: the revision before is saved again, as a new revision, for everyone. */
	async rollBack(orgId: string, actor: string): Promise<RolloutEnd> {
		const current = await this.policies.current(orgId);
		const spec = current && (await this.active(current));
		if (!current || !spec) {
			return { ok: false, status: 404, message: 'no revision is rolling out' };
		}
		const stable = await this.stableOf(orgId, spec.stable);
		if (!(await this.store.endRollout({ orgId, revision: current.revision, outcome: 'rolled-back', at: this.clock.now(), by: actor }))) {
			this.forget(orgId);
			return { ok: false, status: 409, message: `the rollout of revision ${current.revision} has ended already` };
		}
		this.forget(orgId);
		const saved: SaveResult = await this.policies.save(orgId, settingsOf(stable.signed.policy as PolicyDocument), current.revision, actor);
		if (saved.kind !== 'saved') {
			return { ok: false, status: 409, message: `could not save revision ${spec.stable} again (${saved.kind}); the rollout has ended` };
		}
		await this.audit.record(orgId, actor, 'policy.rolled_back', 'ok', {
			revision: String(current.revision),
			restored: String(spec.stable),
			as: String(saved.revision.revision),
		});
		return { ok: true, revision: saved.revision };
	}
}
