/**
 * The service's storage contract. One implementation (`SqlStore`) serves both databases: SQLite,
 * the embedded default, and PostgreSQL for several stateless instances. Every method that writes
 * is one transaction. Every timestamp is milliseconds since the epoch.
 */

import type { Role } from '../../policy';
import type { IdentityStore } from './identity-store';
import type { UsageStore } from './usage-store';
import type { MemberSignInsStore, SignInOfCall } from './member-sign-ins-store';
import type { TokenKeyStore } from './token-key-store';
import type { AuditStore } from './audit-store';
import type { GroupStore } from './group-store';
import type { PasswordResetStore } from './password-reset-store';

export type { Role };
export type TokenKind = 'access' | 'refresh' | 'admin_api' | 'console_session';
export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'used';

export interface OrganizationRecord {
	id: string;
	name: string;
	createdAt: number;
}

/** The organization's first signing key. */
export interface SigningKeyRecord {
	orgId: string;
	/** PKCS#8 PEM when the database holds the private key; null when it lives elsewhere (a key file, a KMS) or was forgotten after a rotation. */
	privateKeyPem: string | null;
	/** Raw Ed25519 public key, base64url (derived from the private key for organizations created before it was stored). */
	publicKey: string;
	createdAt: number;
}

/** A key that replaced the one before it, endorsed (signed) by that one. */
export interface KeyEndorsementRecord {
	orgId: string;
	keyId: string;
	publicKey: string;
	endorsedBy: string;
	signature: string;
	createdAt: number;
}

export interface RevisionRecord {
	orgId: string;
	revision: number;
	/** The signed envelope in the newest schema version, exactly as served (canonical document + signature). */
	signedJson: string;
	/** The same revision projected to schema version 1 and signed, for members that know only that; null when `signedJson` is version 1 or the revision has no version-1 form (a plain-http endpoint). */
	signedJsonV1: string | null;
	/** The same revision projected to schema version 2 and signed; null when `signedJson` is version 2 or older, or the revision has no version-2 form. */
	signedJsonV2: string | null;
	createdAt: number;
	createdBy: string;
	/** Who receives this revision first, and the revision everyone else keeps meanwhile; null: everyone at once. */
	rollout?: RolloutSpec | null;
}

export interface RolloutSpec {
	/** The revision members outside the canary keep until the rollout is promoted. */
	stable: number;
	/** The canary: a group's members, or this share of members (chosen from their ids). */
	group?: string;
	percent?: number;
}

export interface RolloutOutcomeRecord {
	orgId: string;
	revision: number;
	outcome: 'promoted' | 'rolled-back';
	at: number;
	by: string;
}

export interface UserRecord {
	id: string;
	orgId: string;
	email: string;
	role: Role;
	passwordHash: string | null;
	createdAt: number;
	lastSeenAt: number | null;
	appliedRevision: number | null;
	appliedAt: number | null;
	/** Set when the directory (SCIM) deactivated the person: no sign-in, no token, until reactivated. */
	deactivatedAt: number | null;
	/** The identity provider's id for the person (SCIM `externalId`). */
	externalId: string | null;
	/** An admin the operator made (bootstrap, `admin reset-link`): may use a password when SSO is required. */
	breakGlass: boolean;
	/** The newest policy schema version their extension said it understands, at its last sync (null: not since it began saying). */
	policySchema: number | null;
}

export interface InvitationRecord {
	tokenHash: string;
	orgId: string;
	email: string;
	role: Role;
	createdBy: string;
	createdAt: number;
	expiresAt: number;
	acceptedAt: number | null;
}

export interface DeviceCodeRecord {
	deviceCodeHash: string;
	userCode: string;
	clientId: string;
	expiresAt: number;
	intervalSeconds: number;
	lastPolledAt: number | null;
	status: DeviceStatus;
	userId: string | null;
}

/**
 * Why a sign-in ended, told to its holder when it next refreshes: the member's own sign-out, a
 * refresh token presented twice, an admin's *Sign out*, a changed password, a reset link used.
 */
export const REVOCATION_REASONS = [
	'signed_out',
	'replayed',
	'admin_sign_out',
	'admin_machine_sign_out',
	'password_changed',
	'password_reset',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface TokenRecord {
	tokenHash: string;
	kind: TokenKind;
	userId: string;
	orgId: string;
	familyId: string | null;
	/** The OAuth client the token was issued to (access and refresh tokens). */
	clientId: string | null;
	expiresAt: number | null;
	createdAt: number;
	usedAt: number | null;
	revokedAt: number | null;
	/** Why it was revoked, where that was recorded (not for rows older than the record, nor for a removed or deactivated account). */
	revokedReason?: RevocationReason;
	csrfToken: string | null;
	label: string | null;
}

/** A change another service instance made to the shared store. */
export type ExternalChange =
	| { kind: 'revision'; orgId: string }
	/** Members' groups changed: their effective documents may have. */
	| { kind: 'groups'; orgId: string }
	/** A rollout was promoted or rolled back. */
	| { kind: 'rollout'; orgId: string }
	| { kind: 'revoked'; userId?: string; familyId?: string; tokenHash?: string }
	/** A person's role changed: what was resolved for their tokens holds the old one. */
	| { kind: 'account'; userId: string }
	/** Notifications were lost for a while: re-read everything other instances may have changed. */
	| { kind: 'resync' };

export type AppendResult = { ok: true; record: RevisionRecord } | { ok: false; current: RevisionRecord | undefined };

/** What a member's extension said on a call: when, and on which of their sign-ins. */
export interface MemberReport {
	userId: string;
	at: number;
	/** The newest policy schema version it understands. */
	policySchema?: number;
	/** The sign-in it came on (a refresh-token family), recorded apart so each machine's standing is known. */
	signIn?: SignInOfCall;
}

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
