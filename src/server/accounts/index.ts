import type { PolicySigningKey } from '../../policy';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import type { PolicyEvents } from '../policy/policy-service';
import type { Store } from '../store/store';
import { AdminApiTokens } from './admin-api-tokens';
import { DeviceAuthorizations } from './device-authorization';
import { LoginThrottle } from './login-throttle';
import { Members } from './members';
import { PasswordChanges } from './password-change';
import { ConsoleSessions } from './sessions';
import type { AccountTimings } from './timings';
import { Tokens } from './tokens';

export { DomainError, OAuthError, type DomainErrorCode, type OAuthErrorCode } from './errors';
export { DEFAULT_TIMINGS, type AccountTimings } from './timings';
export type { Principal } from './tokens';
export { isVsCodeSignIn } from './tokens';
export type { Tokens, Members, ConsoleSessions, DeviceAuthorizations, AdminApiTokens, PasswordChanges };
export type { PasswordChange } from './password-change';
export { PasswordResets, type PendingReset } from './password-resets';
export { OPERATOR } from './members';
export type { AdminApiTokenView, AdminApiTokenState } from './admin-api-tokens';
export { adminApiTokenId } from './admin-api-tokens';

/** The account services, wired to each other; routes take only the ones they use. */
export interface Accounts {
	readonly tokens: Tokens;
	readonly members: Members;
	readonly sessions: ConsoleSessions;
	readonly devices: DeviceAuthorizations;
	readonly adminTokens: AdminApiTokens;
	readonly passwords: PasswordChanges;
}

export function createAccounts(
	store: Store,
	events: PolicyEvents,
	clock: Clock,
	timings: AccountTimings,
	signingKeyOf: (orgId: string) => Promise<PolicySigningKey | undefined>,
	audit?: Pick<AuditLog, 'record'>,
): Accounts {
	const tokens = new Tokens(store, events, clock, timings, signingKeyOf, audit);
	const throttle = new LoginThrottle();
	const members = new Members(store, events, clock, timings, tokens, throttle);
	return {
		tokens,
		members,
		passwords: new PasswordChanges(store, members, throttle, tokens, clock),
		sessions: new ConsoleSessions(store, clock, timings, tokens),
		devices: new DeviceAuthorizations(store, clock, timings, tokens),
		adminTokens: new AdminApiTokens(store, tokens, clock, audit),
	};
}
