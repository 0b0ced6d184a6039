/**
 * The service's storage contract. One implementation (`SqlStore`) serves both databases: SQLite,
 * the embedded default, and PostgreSQL for several stateless instances. Every method that writes
 * is one transaction. Every timestamp is milliseconds since the epoch.
 */

import type { Role } from '../../policy';
import type { IdentityStore } from './identity-store';
import type { UsageStore } from './usage-store';
import type { MemberSignInsStore } from './member-sign-ins-store';
import type { TokenKeyStore } from './token-key-store';
import type { AuditStore } from './audit-store';
import type { GroupStore } from './group-store';
import type { PasswordResetStore } from './password-reset-store';

import type {
	AppendResult,
	DeviceCodeRecord,
	ExternalChange,
	InvitationRecord,
	KeyEndorsementRecord,
	MemberReport,
	OrganizationRecord,
	RevisionRecord,
	RolloutOutcomeRecord,
	SigningKeyRecord,
	TokenRecord,
	UserRecord,
	RevocationReason,
} from './records';

export type { Role };
// The records are this contract's too: callers import them from here.
export * from './records';

export interface Store {
	readonly kind: 'sqlite' | 'postgres';
	/** Single sign-on settings, provisioning and the activity log. */
	readonly identity: IdentityStore;
	/** The organization's activity list (sign-ins, members, tokens, provisioning…). */
	readonly audit: AuditStore;
	/** Usage the extension reports: hourly sums per member, model and outcome. */
	readonly usage: UsageStore;
	/** Groups of members and who is in each. */
	readonly groups: GroupStore;
	/** Organization tokens' signing keys and grants. */
	readonly tokenKeys: TokenKeyStore;
	/** Each member's sign-ins (one VS Code each): what each last reported, runs and holds. */
	readonly signIns: MemberSignInsStore;
	/** One-time links that set a lost password. */
	readonly passwordResets: PasswordResetStore;
	ping(): Promise<void>;
	/**
	 * Changes made by other instances sharing this store (PostgreSQL LISTEN/NOTIFY). An embedded
	 * store has no other instances and no such method.
	 */
	onExternalChange?(listener: (change: ExternalChange) => void): () => void;
	/** Whether changes from other instances are arriving now (absent: there are no other instances). */
	notificationsHealthy?(): boolean;
	close(): Promise<void>;

	getOrganization(id: string): Promise<OrganizationRecord | undefined>;
	listOrganizations(): Promise<OrganizationRecord[]>;
	/** Creates the organization with its signing key and first revision, all or nothing. */
	createOrganization(org: OrganizationRecord, key: SigningKeyRecord, firstRevision: RevisionRecord): Promise<void>;
	getSigningKey(orgId: string): Promise<SigningKeyRecord | undefined>;
	/** Endorsements in the order they were made. */
	listKeyEndorsements(orgId: string): Promise<KeyEndorsementRecord[]>;
	/** False when this key was endorsed already (another instance adopting the same key). */
	addKeyEndorsement(endorsement: KeyEndorsementRecord): Promise<boolean>;
	/** Erases the private key kept in the database (after a rotation's overlap ended). */
	forgetPrivateKey(orgId: string): Promise<void>;

	latestRevision(orgId: string): Promise<RevisionRecord | undefined>;
	listRevisions(orgId: string, limit: number): Promise<RevisionRecord[]>;
	/**
	 * Appends the next revision if the latest is still `expected` (or always, for `any`).
	 * Revisions are append-only: this is the only way one is written.
	 */
	appendRevision(orgId: string, expected: number | 'any', build: (revision: number) => RevisionRecord): Promise<AppendResult>;
	/**
	 * A member holds `revision`, newer than any saved here (a database restored from an earlier
	 * backup): kept when it is the highest so far, and the next appended revision is numbered past it.
	 */
	noteRevisionHeld(orgId: string, userId: string, revision: number, at: number): Promise<void>;
	/** Ends a rollout; false when it had ended already (the first outcome stands). */
	endRollout(outcome: RolloutOutcomeRecord): Promise<boolean>;
	rolloutOutcome(orgId: string, revision: number): Promise<RolloutOutcomeRecord | undefined>;

	createUser(user: UserRecord): Promise<void>;
	getUser(id: string): Promise<UserRecord | undefined>;
	findUserByEmail(orgId: string, email: string): Promise<UserRecord | undefined>;
	/** The accounts with this email in every organization (one person may belong to several). */
	findUsersByEmail(email: string): Promise<UserRecord[]>;
	listUsers(orgId: string): Promise<UserRecord[]>;
	/** Deletes the user and revokes every token they hold, in one transaction. */
	removeUser(id: string, at: number): Promise<boolean>;
	/**
	 * Ends every sign-in of the user (VS Code's access and refresh tokens, console sessions) in one
	 * transaction, announced to the other instances; their admin API tokens stay. Returns how many tokens ended.
	 */
	endSignIns(userId: string, at: number): Promise<number>;
	/**
	 * Sets a person's password hash and, in the same transaction, ends their console sessions but
	 * `keepSession` (and their VS Code sign-ins with `endSignIns`), announced to the other instances.
	 */
	setPassword(userId: string, passwordHash: string, change: { keepSession: string; endSignIns: boolean; at: number }): Promise<void>;
	/** Sets a person's role, announced to the other instances (which forget what they resolved for them). False when no such user. */
	setRole(userId: string, role: Role): Promise<boolean>;
	/** The member's extension was here (its event stream opened). */
	recordSeen(report: MemberReport): Promise<void>;
	/** The member's extension applied `revision`. */
	recordApplied(report: MemberReport & { revision: number }): Promise<void>;

	createInvitation(invitation: InvitationRecord): Promise<void>;
	getInvitation(tokenHash: string): Promise<InvitationRecord | undefined>;
	/** Marks the invitation accepted and creates its user, in one transaction; nothing when it was used or the email is taken. */
	acceptInvitation(tokenHash: string, user: UserRecord, at: number): Promise<'accepted' | 'already-used' | 'already-member'>;
	listInvitations(orgId: string): Promise<InvitationRecord[]>;
	/** Deletes the address's invitations not accepted yet, so their links open nothing; returns how many went. */
	withdrawInvitations(orgId: string, email: string): Promise<number>;

	createDeviceCode(code: DeviceCodeRecord): Promise<void>;
	getDeviceCode(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined>;
	findDeviceCodeByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined>;
	updateDeviceCode(
		deviceCodeHash: string,
		change: Partial<Pick<DeviceCodeRecord, 'status' | 'userId' | 'lastPolledAt' | 'intervalSeconds'>>,
	): Promise<void>;
	/** Moves an approved code to `used` exactly once; false when another poll got there first. */
	consumeDeviceCode(deviceCodeHash: string): Promise<boolean>;

	insertTokens(tokens: TokenRecord[]): Promise<void>;
	getToken(tokenHash: string): Promise<TokenRecord | undefined>;
	/** The token and its user in one read: every authenticated request does this. */
	getTokenWithUser(tokenHash: string): Promise<{ token: TokenRecord; user: UserRecord } | undefined>;
	/** Marks a refresh token used; false when it was already used (a replay). */
	markTokenUsed(tokenHash: string, at: number): Promise<boolean>;
	revokeToken(tokenHash: string, at: number, reason: RevocationReason): Promise<void>;
	revokeFamily(familyId: string, at: number, reason: RevocationReason): Promise<void>;
	/** The organization's admin API tokens not revoked (expired ones included), newest first, with who made each. */
	listAdminApiTokens(orgId: string): Promise<{ token: TokenRecord; user: UserRecord }[]>;
	/** Notes when an admin API token was last used (shown beside it; never read to admit anyone). */
	noteAdminApiTokenUse(tokenHash: string, at: number): Promise<void>;

	/**
	 * Deletes what can no longer be used: device codes, invitations, tokens, SSO sign-ins and password reset links expired before
	 * `before` (revoked tokens too, once expired). Returns how many rows went.
	 */
	purgeExpired(before: number): Promise<number>;
}
