import { parseExtensionUserAgent } from '../../policy';
import type { Principal } from '../accounts';
import type { SignInOfCall } from '../store/member-sign-ins-store';

/**
 * The sign-in a member's call came on (its refresh-token family: one VS Code on one machine) and
 * what it runs, as its User-Agent says. None for a token issued before sign-ins had families.
 */
export function signInOfCall({ user, token }: Principal, userAgent: string | undefined): SignInOfCall | undefined {
	return token.familyId === null ? undefined : { orgId: user.orgId, familyId: token.familyId, ...parseExtensionUserAgent(userAgent) };
}
