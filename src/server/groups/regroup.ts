import type { PolicyService } from '../policy/policy-service';
import type { Rollouts } from '../policy/rollouts';
import type { StreamHub } from '../policy/stream-hub';
import type { GroupsService } from './groups-service';

/**
 * After a change of groups or their members: every open stream of the organization learns its
 * member's groups again, and those now served another document (other overlays apply, or they
 * joined the canary of a revision rolling out) get it.
 */
export async function regroupStreams(
	orgId: string,
	deps: {
		policies: Pick<PolicyService, 'current'>;
		groups: Pick<GroupsService, 'groupsByMember'>;
		hub: Pick<StreamHub, 'regroup'>;
		rollouts: Pick<Rollouts, 'active' | 'stableOf'>;
	},
): Promise<void> {
	const [current, byMember] = await Promise.all([deps.policies.current(orgId), deps.groups.groupsByMember(orgId)]);
	if (!current) {
		return;
	}
	const spec = await deps.rollouts.active(current);
	const rollout = spec && { spec, stable: await deps.rollouts.stableOf(orgId, spec.stable) };
	await deps.hub.regroup(current, (userId) => byMember.get(userId) ?? [], rollout);
}
