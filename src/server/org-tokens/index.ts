import type { Tokens } from '../accounts/tokens';
import type { Clock } from '../clock';
import type { MemberDocumentOf } from '../policy/member-document';
import type { Store } from '../store/store';
import { OrganizationTokens } from './organization-tokens';
import { OrganizationTokenKeys } from './token-keys';

export { OrganizationTokens } from './organization-tokens';
export { OrganizationTokenKeys } from './token-keys';

/** The organization's token keys and the issuer around them, as the composition root wires them. */
export function createOrganizationTokens(deps: {
	store: Store;
	clock: Clock;
	orgId: string;
	documentFor: MemberDocumentOf;
	tokens: Pick<Tokens, 'resolveBearer'>;
	publicUrl: () => string;
}): { keys: OrganizationTokenKeys; issuer: OrganizationTokens } {
	const keys = new OrganizationTokenKeys(deps.store.tokenKeys, deps.clock, deps.orgId);
	const issuer = new OrganizationTokens({
		keys,
		resolveBearer: async (token) => deps.tokens.resolveBearer(token),
		documentFor: deps.documentFor,
		groups: deps.store.groups,
		grants: deps.store.tokenKeys,
		clock: deps.clock,
		issuer: deps.publicUrl,
	});
	return { keys, issuer };
}
