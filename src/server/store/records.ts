/**
 * The records the store contract reads and writes (see {@link Store} in `store.ts`, which exports
 * them too). Every timestamp is milliseconds since the epoch.
 */

import type { Role } from '../../policy';
import type { SignInOfCall } from './member-sign-ins-store';

export type TokenKind = 'access' | 'refresh' | 'admin_api' | 'console_session';
export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'used';

export interface OrganizationRecord {
	id: string;
	name: string;
	createdAt: number;
	/** The newest revision a member said they hold beyond the newest saved here (see {@link Store.noteRevisionHeld}). */
	heldAhead?: { revision: number; userId: string; at: number };
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
