import { effectiveDocument, type PolicyDocument } from '../../policy';
import type { PolicyService } from './policy-service';
import type { Rollouts } from './rollouts';

/** A member of an organization. */
export interface DocumentReader {
	readonly id: string;
	readonly orgId: string;
}

/**
 * The policy that grants a member what the service hands them beside the signed document (an
 * organization token's models, their budget): the revision of their side of any rollout, by the
 * canary's terms alone, with their groups' overlays applied. Never the organization's newest document
 * as such, and never what the member says they hold: a member may report any revision, and a
 * canary's models or allowance are not theirs for the asking.
 */
export type MemberDocumentOf = (member: DocumentReader, groups: readonly string[]) => Promise<PolicyDocument | undefined>;

export function memberDocuments(deps: { policies: Pick<PolicyService, 'current'>; rollouts: Pick<Rollouts, 'served'> }): MemberDocumentOf {
	return async (member, groups) => {
		const newest = await deps.policies.current(member.orgId);
		if (!newest) {
			return undefined;
		}
		const served = await deps.rollouts.served(newest, member.id, async () => groups);
		return effectiveDocument(served.signed.policy as PolicyDocument, groups);
	};
}
