import type { PolicyService } from '../policy/policy-service';
import type { StreamHub } from '../policy/stream-hub';
import type { GroupsService } from './groups-service';

/**
 * After a change of groups or their members: every open stream of the organization learns its
 * member's groups again, and those now served another document (other overlays apply) get it.
 */
export async function regroupStreams(
	orgId: string,
	deps: { policies: Pick<PolicyService, 'current'>; groups: Pick<GroupsService, 'groupsByMember'>; hub: Pick<StreamHub, 'regroup'> },
): Promise<void> {
	const [current, byMember] = await Promise.all([deps.policies.current(orgId), deps.groups.groupsByMember(orgId)]);
	if (current) {
		await deps.hub.regroup(current, (userId) => byMember.get(userId) ?? []);
	}
}
