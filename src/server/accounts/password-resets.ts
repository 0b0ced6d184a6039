import type { Clock } from '../clock';
import { hashSecret, newSecret } from '../crypto';
import type { PasswordResetRecord } from '../store/password-reset-store';
import type { Store, UserRecord } from '../store/store';
import { DomainError } from './errors';
import { OPERATOR, type Members } from './members';
import type { AccountTimings } from './timings';

/** A reset link as the page that opens it sees it. */
export interface PendingReset {
	email: string;
	orgId: string;
	role: UserRecord['role'];
}

/**
 * One-time links that set a forgotten password: an admin makes one for a member (or the operator
 * for an admin, from the database's side), the person opens it and chooses a new password. Using it
 * ends every sign-in the account had: whoever knew the old password is out.
 */
export class PasswordResets {
	constructor(
		private readonly store: Pick<Store, 'getUser' | 'passwordResets'>,
		private readonly members: Pick<Members, 'newPasswordHash' | 'forgetRevoked' | 'forgiveFailedSignIns'>,
		/** Whether the organization's sign-in rules let this person use a password (single sign-on may not). */
		private readonly passwordAllowed: (user: UserRecord) => Promise<boolean>,
		private readonly clock: Clock,
		private readonly timings: Pick<AccountTimings, 'passwordResetSeconds'>,
	) {}

	/** A new link for the person (their unused one stops working); `issuedBy` is the admin's e-mail or {@link OPERATOR}. */
	async issue(orgId: string, userId: string, issuedBy: string): Promise<{ user: UserRecord; token: string; expiresAt: number }> {
		const user = await this.memberOf(orgId, userId);
		if (user.deactivatedAt !== null) {
			throw new DomainError('deactivated', `${user.email} is deactivated by the directory (SCIM): reactivate them there first`);
		}
		if (issuedBy !== OPERATOR && !(await this.passwordAllowed(user))) {
			throw new DomainError(
				'password_sign_in_off',
				`${user.email} signs in with single sign-on only: a password could not be used (their identity provider resets theirs)`,
			);
		}
		const token = newSecret('opp_pwr');
		const now = this.clock.now();
		const expiresAt = now + this.timings.passwordResetSeconds * 1000;
		await this.store.passwordResets.issue({
			tokenHash: hashSecret(token),
			orgId,
			userId,
			createdBy: issuedBy,
			createdAt: now,
			expiresAt,
			usedAt: null,
		});
		return { user, token, expiresAt };
	}

	/** Voids the member's unused link (sent to the wrong inbox, say): it opens nothing from now on. */
	async withdraw(orgId: string, userId: string): Promise<UserRecord> {
		const user = await this.memberOf(orgId, userId);
		if ((await this.store.passwordResets.withdraw(orgId, userId, this.clock.now())) === 0) {
			throw new DomainError('not_found', `no password reset link of ${user.email} is out (used, withdrawn or expired already?)`);
		}
		return user;
	}

	/** The account a link resets while it can still be used, or why it opens nothing (used, replaced, expired). */
	async check(token: string): Promise<{ account: PendingReset } | { refused: DomainError }> {
		const found = await this.usable(token);
		return found instanceof DomainError ? { refused: found } : { account: pendingReset(found.user) };
	}

	/**
	 * Sets the new password with the link, once; every sign-in of the account ends. Refused, the
	 * account comes back too where only the password was wrong, so the form can be shown again.
	 */
	async redeem(token: string, password: string): Promise<{ user: UserRecord } | { refused: DomainError; account?: PendingReset }> {
		const found = await this.usable(token);
		if (found instanceof DomainError) {
			return { refused: found };
		}
		const { reset, user } = found;
		let hash: string;
		try {
			hash = await this.members.newPasswordHash(password, user.email, user.orgId);
		} catch (error) {
			if (error instanceof DomainError) {
				return { refused: error, account: pendingReset(user) };
			}
			throw error;
		}
		// The operator's link is the break-glass way in for an admin, as its invitation would be.
		const breakGlass = reset.createdBy === OPERATOR && user.role === 'admin';
		if ((await this.store.passwordResets.redeem(reset.tokenHash, hash, this.clock.now(), { breakGlass })) === 'already-used') {
			return { refused: used() };
		}
		// Their cached tokens and open streams end here; other instances hear it from the store.
		this.members.forgetRevoked(user.id);
		// Failed guesses at the old password no longer stand between them and the new one.
		this.members.forgiveFailedSignIns(user.email);
		return { user: { ...user, passwordHash: hash, breakGlass: user.breakGlass || breakGlass } };
	}

	private async memberOf(orgId: string, userId: string): Promise<UserRecord> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			throw new DomainError('not_found', 'no such member in this organization');
		}
		return user;
	}

	/** The link and its account while it can be used; otherwise the refusal, in the person's words. */
	private async usable(token: string): Promise<{ reset: PasswordResetRecord; user: UserRecord } | DomainError> {
		const reset = await this.store.passwordResets.get(hashSecret(token));
		if (!reset || reset.usedAt !== null) {
			return used();
		}
		if (reset.expiresAt <= this.clock.now()) {
			return new DomainError('expired_reset', 'this password reset link has expired: ask your admin for a new one');
		}
		const user = await this.store.getUser(reset.userId);
		if (!user) {
			return used();
		}
		if (user.deactivatedAt !== null) {
			return new DomainError('deactivated', 'this account is deactivated by its directory: ask your admin');
		}
		return { reset, user };
	}
}

const pendingReset = (user: UserRecord): PendingReset => ({ email: user.email, orgId: user.orgId, role: user.role });

const used = () =>
	new DomainError(
		'invalid_reset',
		'this password reset link is not valid: it was used, or replaced by a newer one; ask your admin for a new one',
	);
