import type { Members } from '../accounts';
import type { AuditLog } from '../audit';
import type { IdentityStore } from '../store/identity-store';
import type { Role, Store, UserRecord } from '../store/store';
import { rulesNameAdmins, type RefusalReason } from './membership';
import { admitsNewcomers, type SsoSettings } from './settings';

/**
 * The accounts single sign-on leads to: an existing one, its role kept in step with the rules, or a
 * newcomer's, created just in time when the rules admit them.
 */
export class SsoAccounts {
	constructor(
		private readonly deps: {
			identity: Pick<IdentityStore, 'updateUser'>;
			users: Pick<Store, 'findUserByEmail'>;
			members: Pick<Members, 'create' | 'isLastActiveAdmin'>;
			audit: Pick<AuditLog, 'record'>;
		},
	) {}

	/** The person's account: found, or created now when the rules admit newcomers; otherwise why not. */
	async accountFor(
		orgId: string,
		settings: SsoSettings,
		email: string,
		role: Role,
	): Promise<UserRecord | { refusal: RefusalReason; message: string }> {
		const existing = await this.deps.users.findUserByEmail(orgId, email);
		if (existing) {
			if (existing.deactivatedAt !== null) {
				return { refusal: 'deactivated', message: 'Your account in this organization was deactivated by its directory. Ask your admin.' };
			}
			return this.syncRole(existing, settings, role);
		}
		if (!admitsNewcomers(settings)) {
			return {
				refusal: 'not_member',
				message: `${email} has no account in this organization, and it admits only people its admins add. Ask your admin to add you.`,
			};
		}
		try {
			const user = await this.deps.members.create(orgId, email, role, null);
			await this.deps.audit.record(orgId, email, 'member.joined', 'ok', { via: 'sso', role });
			return user;
		} catch (error) {
			// The same person signing in twice at once: the other sign-in created the account.
			const raced = await this.deps.users.findUserByEmail(orgId, email);
			if (raced) {
				return raced;
			}
			throw error;
		}
	}

	/**
	 * When the rules name admins, a sign-in brings the role in line: promoted when now in an admin
	 * group, demoted when no longer — never the operator's break-glass admins, never the last admin.
	 */
	private async syncRole(user: UserRecord, settings: SsoSettings, role: Role): Promise<UserRecord> {
		if (user.role === role || !rulesNameAdmins(settings) || (role === 'member' && user.breakGlass)) {
			return user;
		}
		if (role === 'member' && (await this.deps.members.isLastActiveAdmin(user))) {
			return user;
		}
		await this.deps.identity.updateUser(user.id, { role });
		await this.deps.audit.record(user.orgId, user.email, 'member.role_changed', 'ok', { via: 'sso', from: user.role, to: role });
		return { ...user, role };
	}
}
