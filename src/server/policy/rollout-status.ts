import type { GroupsService } from '../groups/groups-service';
import type { Store } from '../store/store';
import type { UsageService } from '../usage/usage-service';
import type { PolicyService } from './policy-service';
import { takesRollout, type Rollouts } from './rollouts';
import { DAY_MS, HOUR_MS, type Clock } from '../clock';
import { tooOldFor } from './revisions';
import { countedSignIns, laggingReport } from './sign-in-standing';

export interface RolloutSide {
	members: number;
	/** Members who reported applying the revision they are served (on every machine they use). */
	applied: number;
	/** Members whose extension understands too old a policy schema to be given that revision at all. */
	extensionTooOld: number;
	/** Requests reported under that revision, and how many failed (with usage reporting on). */
	requests: number;
	failed: number;
}

export interface RolloutStatus {
	revision: number;
	stable: number;
	canary: { group?: string; percent?: number };
	startedBy: string;
	canaryMembers: RolloutSide;
	everyoneElse: RolloutSide;
}

/** The rollout under way, if any: its canary against everyone else, by adoption and request errors. */
export async function rolloutStatus(
	deps: {
		policies: Pick<PolicyService, 'current'>;
		rollouts: Pick<Rollouts, 'active' | 'stableOf'>;
		store: Pick<Store, 'listUsers' | 'signIns'>;
		groups: Pick<GroupsService, 'groupsByMember'>;
		usage: Pick<UsageService, 'summary'>;
		clock: Pick<Clock, 'now'>;
	},
	orgId: string,
): Promise<RolloutStatus | undefined> {
	const current = await deps.policies.current(orgId);
	const spec = current && (await deps.rollouts.active(current));
	if (!current || !spec) {
		return undefined;
	}
	const now = deps.clock.now();
	const [users, signIns, byMember, summary, stable] = await Promise.all([
		deps.store.listUsers(orgId),
		countedSignIns(deps.store, orgId, now),
		spec.group !== undefined ? deps.groups.groupsByMember(orgId) : Promise.resolve(new Map<string, string[]>()),
		deps.usage.summary(orgId, { from: current.createdAt - DAY_MS, to: now + HOUR_MS }),
		deps.rollouts.stableOf(orgId, spec.stable),
	]);
	const side = (canary: boolean): RolloutSide => {
		const members = users.filter(
			(member) =>
				member.deactivatedAt === null &&
				takesRollout(spec, current, member.id, byMember.get(member.id) ?? [], member.appliedRevision) === canary,
		);
		const revision = canary ? current.revision : spec.stable;
		const under = summary.revisions.find((entry) => entry.revision === revision);
		const served = canary ? current : stable;
		const lagging = members.map((member) => laggingReport(member, signIns.get(member.id)));
		return {
			members: members.length,
			applied: lagging.filter((report) => report.appliedRevision === revision).length,
			extensionTooOld: lagging.filter((report) => tooOldFor(served, report.policySchema)).length,
			requests: under?.requests ?? 0,
			failed: under?.failed ?? 0,
		};
	};
	return {
		revision: current.revision,
		stable: spec.stable,
		canary: spec.group !== undefined ? { group: spec.group } : { percent: spec.percent ?? 0 },
		startedBy: current.createdBy,
		canaryMembers: side(true),
		everyoneElse: side(false),
	};
}
