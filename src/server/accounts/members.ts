import type { Clock } from '../clock';
import { hashPassword, hashSecret, newId, newSecret, verifyPassword } from '../crypto';
import type { PolicyEvents } from '../policy/policy-service';
import type { OwnedSignInReport } from '../store/member-sign-ins-store';
import type { InvitationRecord, Role, Store, UserRecord } from '../store/store';
import { DomainError } from './errors';
import { LoginThrottle } from './login-throttle';
import { passwordProblem } from './password-policy';
import type { AccountTimings } from './timings';
import type { Tokens } from './tokens';

export interface NewUserOptions {
	externalId?: string | null;
	breakGlass?: boolean;
}

/** The maker recorded on links the operator's own commands make (first start, `admin reset-link`): their admin links are break-glass. */
export const OPERATOR = 'system';

export type SignInResult = { kind: 'ok'; user: UserRecord } | { kind: 'wrong' } | { kind: 'throttled'; retryAfterSeconds: number };

/** Who belongs to an organization: added with a password, invited, checked at sign-in, removed. */
export class Members {
	constructor(
		private readonly store: Store,
		private readonly events: PolicyEvents,
		private readonly clock: Clock,
		private readonly timings: AccountTimings,
		private readonly tokens: Tokens,
		private readonly throttle = new LoginThrottle(),
	) {}

	/** Normalizes the email and refuses one that already belongs to a member of the organization. */
	private async newMemberEmail(orgId: string, email: string): Promise<string> {
		const normalized = email.trim().toLowerCase();
		if (await this.store.findUserByEmail(orgId, normalized)) {
			throw new DomainError('already_member', `${normalized} is already a member of this organization`);
		}
		return normalized;
	}

	private newUser(orgId: string, email: string, role: Role, passwordHash: string | null, extra: NewUserOptions = {}): UserRecord {
		return {
			id: newId(),
			orgId,
			email,
			role,
			passwordHash,
			createdAt: this.clock.now(),
			lastSeenAt: null,
			appliedRevision: null,
			appliedAt: null,
			deactivatedAt: null,
			externalId: extra.externalId ?? null,
			breakGlass: extra.breakGlass ?? false,
			policySchema: null,
		};
	}

	/** A new account; `breakGlass` marks the operator's own admins (see {@link UserRecord.breakGlass}). */
	async create(orgId: string, email: string, role: Role, password: string | null, extra: NewUserOptions = {}): Promise<UserRecord> {
		// Checked before hashing: scrypt is the expensive part.
		const normalized = await this.newMemberEmail(orgId, email);
		const user = this.newUser(
			orgId,
			normalized,
			role,
			password === null ? null : await this.newPasswordHash(password, normalized, orgId),
			extra,
		);
		await this.store.createUser(user);
		return user;
	}

	/**
	 * The account these credentials open, in whichever organization holds it. An account with
	 * many recent failures must wait before its password is checked again, from any address.
	 */
	async checkPassword(email: string, password: string): Promise<SignInResult> {
		const account = email.trim().toLowerCase();
		const wait = this.throttle.waitFor(account, this.clock.now());
		if (wait > 0) {
			return { kind: 'throttled', retryAfterSeconds: Math.ceil(wait / 1000) };
		}
		const candidates = await this.store.findUsersByEmail(account);
		if (candidates.length === 0) {
			// The same work as a real check, so timing does not tell which emails exist.
			await verifyPassword(password, null);
		}
		for (const user of candidates) {
			// A deactivated account's password still costs the check, so timing tells nothing either.
			if ((await verifyPassword(password, user.passwordHash)) && user.deactivatedAt === null) {
				this.throttle.succeeded(account);
				return { kind: 'ok', user };
			}
		}
		this.throttle.failed(account, this.clock.now());
		return { kind: 'wrong' };
	}

	/** Clears the account's failed sign-ins (its password was just reset by someone who proved they may). */
	forgiveFailedSignIns(email: string): void {
		this.throttle.succeeded(email.trim().toLowerCase());
	}

	/** Refuses a new password that is short, common or too close to the account (NIST SP 800-63B §5.1.1.2). */
	async newPasswordHash(password: string, email: string, orgId: string): Promise<string> {
		const organization = await this.store.getOrganization(orgId);
		const problem = passwordProblem(password, [
			email,
			email.split('@')[0] ?? '',
			orgId,
			organization?.name ?? '',
			'org provider policy',
			'orgproviderpolicy',
		]);
		if (problem) {
			throw new DomainError('weak_password', `The password ${problem}.`);
		}
		return hashPassword(password);
	}

	/** Whether this is the organization's only admin who can still sign in (an admin, not deactivated). */
	async isLastActiveAdmin(user: UserRecord): Promise<boolean> {
		if (user.role !== 'admin' || user.deactivatedAt !== null) {
			return false;
		}
		const admins = (await this.store.listUsers(user.orgId)).filter(
			(candidate) => candidate.role === 'admin' && candidate.deactivatedAt === null,
		);
		return admins.every((admin) => admin.id === user.id);
	}

	/**
	 * Makes a member an admin or an admin a member. Never the last admin who can sign in; and not
	 * where single sign-on's rules name the admins (`rolesFromSso`): its next sign-in would undo it.
	 */
	async changeRole(orgId: string, userId: string, role: Role, rolesFromSso: boolean): Promise<{ user: UserRecord; from: Role }> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			throw new DomainError('not_found', 'no such member in this organization');
		}
		if (user.role === role) {
			return { user, from: role };
		}
		if (rolesFromSso && !user.breakGlass) {
			throw new DomainError(
				'role_from_sso',
				`${user.email}'s role comes from single sign-on: its Admin groups and Admin e-mails decide it at every sign-in. Change them there.`,
			);
		}
		if (role === 'member' && (await this.isLastActiveAdmin(user))) {
			throw new DomainError('last_admin', `${user.email} is the last admin who can sign in: make someone else an admin first`);
		}
		await this.store.setRole(userId, role);
		// Cached resolutions carry the old role: the next request reads the new one (other instances hear it from the store).
		this.tokens.forgetPrincipals({ userId });
		return { user: { ...user, role }, from: user.role };
	}

	async remove(orgId: string, userId: string): Promise<void> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			throw new DomainError('not_found', 'no such member in this organization');
		}
		if (user.role === 'admin') {
			const admins = (await this.store.listUsers(orgId)).filter((candidate) => candidate.role === 'admin');
			// Nor the last one who can still sign in: a deactivated admin opens nothing.
			if (admins.length <= 1 || (await this.isLastActiveAdmin(user))) {
				throw new DomainError('last_admin', 'the last admin of an organization cannot be removed');
			}
		}
		await this.store.removeUser(userId, this.clock.now());
		this.forgetRevoked(userId);
	}

	/**
	 * Signs a member out everywhere (a lost laptop, a token seen where it should not be) and keeps
	 * them a member: every VS Code and console sign-in ends at once, on every instance, and they sign
	 * in again. Their admin API tokens are automation's and stay (the API tokens page revokes those).
	 */
	async endSignIns(orgId: string, userId: string): Promise<UserRecord> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			throw new DomainError('not_found', 'no such member in this organization');
		}
		await this.store.endSignIns(userId, this.clock.now());
		this.forgetRevoked(userId);
		return user;
	}

	/** Ends one of a member's sign-ins (one VS Code on one machine: a lost laptop, a machine put away); their others go on. */
	async endSignIn(orgId: string, userId: string, signInId: string): Promise<{ user: UserRecord; signIn: OwnedSignInReport }> {
		const [user, signIn] = await Promise.all([this.store.getUser(userId), this.store.signIns.find(signInId)]);
		if (!user || user.orgId !== orgId || signIn?.userId !== userId) {
			throw new DomainError('not_found', 'no such sign-in of this member');
		}
		await this.tokens.endFamily(signInId, 'admin_machine_sign_out');
		return { user, signIn };
	}

	/** Ends what a revoked person still holds on this instance: cached tokens and open streams. */
	forgetRevoked(userId: string): void {
		this.tokens.forgetPrincipals({ userId });
		this.events.publishRevoked({ userId });
	}

	async invite(
		orgId: string,
		email: string,
		role: Role,
		invitedBy: string,
		{ replacePending = true }: { replacePending?: boolean } = {},
	): Promise<{ token: string; expiresAt: number }> {
		const normalized = await this.newMemberEmail(orgId, email);
		const token = newSecret('opp_inv');
		const now = this.clock.now();
		const expiresAt = now + this.timings.invitationSeconds * 1000;
		// A new link for the same address replaces the one before (lost, or sent to the wrong inbox): one link works at a time.
		if (replacePending) {
			await this.store.withdrawInvitations(orgId, normalized);
		}
		await this.store.createInvitation({
			tokenHash: hashSecret(token),
			orgId,
			email: normalized,
			role,
			createdBy: invitedBy,
			createdAt: now,
			expiresAt,
			acceptedAt: null,
		});
		return { token, expiresAt };
	}

	/** Withdraws the address's pending invitation: its link opens nothing from now on. */
	async withdrawInvitation(orgId: string, email: string): Promise<void> {
		if ((await this.store.withdrawInvitations(orgId, email.trim().toLowerCase())) === 0) {
			throw new DomainError('not_found', `no pending invitation for ${email.trim().toLowerCase()} (accepted or withdrawn already?)`);
		}
	}

	/**
	 * Whether an invitation link can still be accepted: its invitation, or why not. Asked before the
	 * person types a password, so a used, withdrawn or expired link says so at once.
	 */
	async checkInvitation(token: string): Promise<{ invitation: InvitationRecord } | { refused: DomainError }> {
		const invitation = await this.store.getInvitation(hashSecret(token));
		if (!invitation || invitation.acceptedAt !== null) {
			return {
				refused: new DomainError(
					'invalid_invitation',
					'this invitation link is not valid: it was used, withdrawn or replaced by a newer one',
				),
			};
		}
		if (invitation.expiresAt <= this.clock.now()) {
			return { refused: new DomainError('expired_invitation', 'this invitation link has expired; ask your admin for a new one') };
		}
		if (await this.store.findUserByEmail(invitation.orgId, invitation.email)) {
			return { refused: alreadyMember(invitation.email) };
		}
		return { invitation };
	}

	/** Without a password (null) when the organization signs in with single sign-on only. */
	async acceptInvitation(token: string, password: string | null): Promise<UserRecord> {
		const checked = await this.checkInvitation(token);
		if ('refused' in checked) {
			throw checked.refused;
		}
		const { invitation } = checked;
		// A link the operator made (first start, `admin reset-link`) is the break-glass way in.
		const breakGlass = invitation.createdBy === OPERATOR && invitation.role === 'admin';
		const passwordHash = password === null ? null : await this.newPasswordHash(password, invitation.email, invitation.orgId);
		const user = this.newUser(invitation.orgId, invitation.email, invitation.role, passwordHash, { breakGlass });
		switch (await this.store.acceptInvitation(invitation.tokenHash, user, user.createdAt)) {
			case 'already-used':
				throw new DomainError('invalid_invitation', 'this invitation link was already used');
			case 'already-member':
				throw alreadyMember(invitation.email);
			case 'accepted':
				return user;
		}
	}
}

function alreadyMember(email: string): DomainError {
	return new DomainError(
		'already_member',
		`${email} already has an account in this organization: sign in with it, or ask your admin to remove it first`,
	);
}
