import type { PolicyDocument } from '../../policy';
import type { GroupsService } from '../groups/groups-service';
import type { Clock } from '../clock';
import type { SignInReport } from '../store/member-sign-ins-store';
import type { Store, UserRecord } from '../store/store';
import type { PublishedRevision } from './policy-service';
import { tooOldFor } from './revisions';
import { countedSignIns, laggingReport } from './sign-in-standing';
import type { Rollouts, ServedMember } from './rollouts';
import { vscodeChatStatuses, type VsCodeChatStatus } from './vscode-chat';

/** What the members list says of each member beside their account: read once per listing. */
export interface MemberStanding {
	/** Each member's groups' names. */
	readonly groupsOf: ReadonlyMap<string, readonly string[]>;
	/** The revision a member is served now (a rollout keeps some on the one before): what "in sync" is measured against. */
	servedRevision(member: ServedMember): number;
	/** Their VS Code's utility-model settings against what the revision they are served names. */
	vscodeChat(member: ServedMember): VsCodeChatStatus | undefined;
	/** Their machines still signed in and seen lately, most recently seen first (none: not reported since 0.3.0). */
	signInsOf(member: ServedMember): readonly SignInReport[];
	/**
	 * The extension on one of their machines cannot be given the revision they are served: it
	 * understands too old a policy schema (schema 3's organization tokens, or only models the
	 * Responses API serves). Judged on the organization's document; a group overlay rarely changes
	 * what a schema can carry.
	 */
	extensionTooOld(member: ServedMember & Pick<UserRecord, 'appliedRevision' | 'policySchema'>): boolean;
}

/** One reading of the members' groups and reports, shared by the members API and the console's Members page. */
export function memberStandings(deps: {
	rollouts: Pick<Rollouts, 'servedRevisions' | 'active' | 'stableOf'>;
	groups: Pick<GroupsService, 'groupsByMember'>;
	store: Pick<Store, 'signIns'>;
	clock: Pick<Clock, 'now'>;
}): (current: PublishedRevision) => Promise<MemberStanding> {
	return async (current) => {
		const now = deps.clock.now();
		const [groupsOf, signIns] = await Promise.all([
			deps.groups.groupsByMember(current.orgId),
			countedSignIns(deps.store, current.orgId, now),
		]);
		const servedRevision = await deps.rollouts.servedRevisions(current, async () => groupsOf);
		const spec = await deps.rollouts.active(current);
		const stable = spec && (await deps.rollouts.stableOf(current.orgId, spec.stable));
		const chat = vscodeChatStatuses(signIns, groupsOf);
		const served = (member: ServedMember) => (servedRevision(member) === stable?.revision ? stable : current);
		return {
			groupsOf,
			servedRevision,
			vscodeChat: (member) => chat(member.id, served(member).signed.policy as PolicyDocument),
			signInsOf: (member) => signIns.get(member.id) ?? [],
			extensionTooOld: (member) => tooOldFor(served(member), laggingReport(member, signIns.get(member.id)).policySchema),
		};
	};
}
