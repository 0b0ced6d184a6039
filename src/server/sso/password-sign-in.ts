import type { Members } from '../accounts';
import type { AuditLog } from '../audit';
import type { UserRecord } from '../store/store';
import type { SingleSignOn } from './single-sign-on';

/** Where a password sign-in comes from: the console's sign-in page, the device verification page, or the members' password page. */
export type PasswordPurpose = 'console' | 'device' | 'account';

/** Why a password sign-in was refused; the HTTP layer turns each into a status and a sentence. */
export type PasswordRefusal =
	| { reason: 'wrong_password' }
	| { reason: 'throttled'; retryAfterSeconds: number }
	| { reason: 'not_admin' }
	| { reason: 'password_sign_in_off' };

export type PasswordSignInOutcome = { kind: 'ok'; user: UserRecord } | ({ kind: 'refused' } & PasswordRefusal);

/**
 * Password sign-in, beside single sign-on: the password and its throttle (in {@link Members}), then
 * the organization's rules — passwords may be off (break-glass admins excepted), and only admins
 * use the console — each outcome written to the activity list with the address that was tried.
 */
export class PasswordSignIn {
	constructor(
		private readonly members: Pick<Members, 'checkPassword'>,
		private readonly sso: Pick<SingleSignOn, 'passwordAllowed' | 'offer'>,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly orgId: string,
	) {}

	async signIn(email: string, password: string, purpose: PasswordPurpose): Promise<PasswordSignInOutcome> {
		const result = await this.members.checkPassword(email, password);
		if (result.kind === 'ok' && !(await this.sso.passwordAllowed(result.user))) {
			return this.refuse(result.user.email, purpose, { reason: 'password_sign_in_off' });
		}
		if (result.kind === 'wrong') {
			// The address typed, as typed (escaped where shown): who was tried is what an admin looks for.
			return this.refuse(email.trim().toLowerCase().slice(0, 200) || 'unknown', purpose, { reason: 'wrong_password' });
		}
		if (result.kind === 'throttled') {
			const typed = email.trim().toLowerCase().slice(0, 200) || 'unknown';
			return this.refuse(typed, purpose, { reason: 'throttled', retryAfterSeconds: result.retryAfterSeconds });
		}
		const { user } = result;
		if (purpose === 'console' && user.role !== 'admin') {
			return this.refuse(user.email, purpose, { reason: 'not_admin' });
		}
		if (purpose === 'console') {
			// A password while the organization has passwords off is a break-glass admin's way in.
			const offer = await this.sso.offer(user.orgId);
			const action = user.breakGlass && offer && !offer.passwordSignIn ? 'sign_in.break_glass' : 'sign_in.password';
			await this.audit.record(user.orgId, user.email, action, 'ok', { purpose });
		}
		// A device approval is recorded by what it approves (device.approved, via password).
		return { kind: 'ok', user };
	}

	private async refuse(actor: string, purpose: PasswordPurpose, refusal: PasswordRefusal): Promise<PasswordSignInOutcome> {
		await this.audit.record(this.orgId, actor, 'sign_in.password', 'refused', { purpose, reason: refusal.reason });
		return { kind: 'refused', ...refusal };
	}
}
