import type { Clock } from '../clock';
import { verifyPassword } from '../crypto';
import type { Store, UserRecord } from '../store/store';
import { DomainError } from './errors';
import type { LoginThrottle } from './login-throttle';
import type { Members } from './members';
import type { Tokens } from './tokens';

export type PasswordChange =
	| { kind: 'changed'; endedSignIns: boolean }
	/** The current password was wrong (and counted against the account, as a sign-in's is). */
	| { kind: 'wrong' }
	| { kind: 'throttled'; retryAfterSeconds: number }
	/** The new password was refused: why, in a sentence. */
	| { kind: 'weak'; message: string }
	/** An account that signs in through single sign-on only has no password to change. */
	| { kind: 'no-password' };

/**
 * A signed-in person changes their own password: the current one first (throttled like a sign-in),
 * the new one checked like any new password. Their other console sessions end with it (whoever
 * knew the old password is out of the console); their VS Code sign-ins end too when they ask.
 */
export class PasswordChanges {
	constructor(
		private readonly store: Pick<Store, 'setPassword'>,
		private readonly members: Pick<Members, 'newPasswordHash' | 'forgetRevoked'>,
		/** The sign-in forms' throttle: guessing the current password here counts as guessing it there. */
		private readonly throttle: LoginThrottle,
		private readonly tokens: Pick<Tokens, 'forgetPrincipals'>,
		private readonly clock: Clock,
	) {}

	async change(
		user: UserRecord,
		current: string,
		next: string,
		{ keepSession, endSignIns }: { keepSession: string; endSignIns: boolean },
	): Promise<PasswordChange> {
		if (user.passwordHash === null) {
			return { kind: 'no-password' };
		}
		const { throttle } = this;
		const wait = throttle.waitFor(user.email, this.clock.now());
		if (wait > 0) {
			return { kind: 'throttled', retryAfterSeconds: Math.ceil(wait / 1000) };
		}
		if (!(await verifyPassword(current, user.passwordHash))) {
			throttle.failed(user.email, this.clock.now());
			return { kind: 'wrong' };
		}
		throttle.succeeded(user.email);
		return this.setNew(user, current, next, { keepSession, endSignIns });
	}

	/**
	 * The new password of someone who just proved the current one (here, or by signing in with it on
	 * the members' page): checked like any new password, then set with their sessions ended.
	 */
	async setNew(
		user: UserRecord,
		current: string,
		next: string,
		{ keepSession, endSignIns }: { keepSession: string | null; endSignIns: boolean },
	): Promise<Extract<PasswordChange, { kind: 'changed' | 'weak' }>> {
		if (next === current) {
			return { kind: 'weak', message: 'The new password must differ from the current one.' };
		}
		let hash: string;
		try {
			hash = await this.members.newPasswordHash(next, user.email, user.orgId);
		} catch (error) {
			if (error instanceof DomainError && error.code === 'weak_password') {
				return { kind: 'weak', message: error.message };
			}
			throw error;
		}
		await this.store.setPassword(user.id, hash, { keepSession: keepSession ?? '', endSignIns, at: this.clock.now() });
		if (endSignIns) {
			// Their cached tokens and open event streams end here; other instances hear it from the store.
			this.members.forgetRevoked(user.id);
		} else {
			this.tokens.forgetPrincipals({ userId: user.id });
		}
		return { kind: 'changed', endedSignIns: endSignIns };
	}
}
