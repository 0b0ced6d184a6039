import { effectiveDocument, type PolicyDocument } from '../../policy';
import type { PolicyService } from './policy-service';
import type { Rollouts, ServedMember } from './rollouts';

/** A member of an organization, with the newest revision they reported applying. */
export interface DocumentReader extends ServedMember {
	readonly orgId: string;
}

/**
 * The policy a member is under now, as their VS Code applies it: the revision they are served (a
 * rollout keeps those outside its canary on the one before) with their groups' overlays applied.
 * What the service hands a member beside the signed document (an organization token's models, their
 * budget) is decided by this, never by the organization's newest document alone.
 */
export type MemberDocumentOf = (member: DocumentReader, groups: readonly string[]) => Promise<PolicyDocument | undefined>;

export function memberDocuments(deps: { policies: Pick<PolicyService, 'current'>; rollouts: Pick<Rollouts, 'served'> }): MemberDocumentOf {
	return async (member, groups) => {
		const newest = await deps.policies.current(member.orgId);
		if (!newest) {
			return undefined;
		}
		const served = await deps.rollouts.served(newest, member.id, async () => groups, member.appliedRevision ?? undefined);
		return effectiveDocument(served.signed.policy as PolicyDocument, groups);
	};
}
