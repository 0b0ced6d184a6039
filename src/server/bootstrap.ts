import { DomainError, OPERATOR, type Members } from './accounts';
import type { Clock } from './clock';
import type { ServerConfig } from './config';
import { createOrganizationWithPolicy, type PolicyService } from './policy/policy-service';
import type { Keyring } from './signing/keyring';
import type { PolicySigner } from './signing/signer';
import type { SsoAdministration } from './sso/administration';
import { bootstrapSso } from './sso/bootstrap-settings';
import type { Store } from './store/store';

/** The admin account a first start invites when no `--admin-email` is given. */
export const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

export interface BootstrapResult {
	created: boolean;
	/** A fresh one-time link for an admin to set a password, while no admin has one. */
	setup?: AdminSetupLink;
	/** Things the operator asked for that this start did not do, and why. */
	warnings: string[];
}

const IGNORED_FLAGS =
	'--admin-email/--admin-password (ORG_POLICY_ADMIN_EMAIL/ORG_POLICY_ADMIN_PASSWORD) are ignored: an admin of this organization already has a password. ' +
	'To add a recovery admin, run `org-policy-server admin reset-link --admin-email EMAIL` with the same data flags.';

export interface AdminSetupLink {
	token: string;
	email: string;
	expiresAt: number;
}

export interface BootstrapServices {
	store: Store;
	members: Pick<Members, 'create' | 'invite'>;
	clock: Clock;
	keyring: Pick<Keyring, 'rootFor' | 'adopt' | 'keysFor'>;
	policies: Pick<PolicyService, 'republish'>;
	sso: Pick<SsoAdministration, 'view' | 'save'>;
}

/**
 * Every start: the organization (with its signing key and revision 1) if missing; a key file's key
 * endorsed by the key members trust, and the policy re-signed with it; then, for as long as no admin
 * has a password, either the configured admin or a fresh one-time link — so a lost link costs a
 * restart, not the organization.
 */
export async function bootstrap(services: BootstrapServices, config: ServerConfig): Promise<BootstrapResult> {
	const result = await bootstrapAccounts(services, config);
	const ssoWarnings = await bootstrapSso(services.sso, config);
	return { ...result, warnings: [...result.warnings, ...ssoWarnings] };
}

async function bootstrapAccounts(
	{ store, members, clock, keyring, policies }: BootstrapServices,
	config: ServerConfig,
): Promise<BootstrapResult> {
	const created = await ensureOrganization(store, clock, config, keyring.rootFor(config.orgId));
	const endorsed = await keyring.adopt();
	if (endorsed) {
		await policies.republish(config.orgId, `system: signing key rotated to ${endorsed.keyId}`);
	}
	// An instance that holds no usable key for its organization refuses to start, not to save.
	await keyring.keysFor(config.orgId);
	const admins = (await store.listUsers(config.orgId)).filter((user) => user.role === 'admin' && user.passwordHash !== null);
	if (admins.length > 0) {
		return { created, warnings: config.adminEmail || config.adminPassword ? [IGNORED_FLAGS] : [] };
	}
	const email = config.adminEmail ?? DEFAULT_ADMIN_EMAIL;
	if (config.adminPassword) {
		try {
			await members.create(config.orgId, email, 'admin', config.adminPassword, { breakGlass: true });
		} catch (error) {
			// Several instances starting together: another one created this admin first.
			if (await store.findUserByEmail(config.orgId, email.trim().toLowerCase())) {
				return { created, warnings: [] };
			}
			throw error instanceof DomainError
				? new Error(`--admin-password (ORG_POLICY_ADMIN_PASSWORD): ${error.message}`, { cause: error })
				: error;
		}
		return { created, warnings: [] };
	}
	try {
		return { created, setup: await adminSetupLink(members, config.orgId, email), warnings: [] };
	} catch (error) {
		// A start must not fail over a link; the operator can still run `admin reset-link`.
		return { created, warnings: [`no one-time admin link was made: ${(error as Error).message}`] };
	}
}

/**
 * `admin reset-link`: a one-time link that makes `email` an admin, for when every admin's
 * password is lost. Only someone who can open the service's database can run it.
 */
export async function adminSetupLink(members: Pick<Members, 'invite'>, orgId: string, email: string): Promise<AdminSetupLink> {
	try {
		// Every start (of every instance) and `admin reset-link` print a link until an admin has a password: each
		// stays good, so an operator reading any instance's log gets one that works.
		const invitation = await members.invite(orgId, email, 'admin', OPERATOR, { replacePending: false });
		return { ...invitation, email: email.trim().toLowerCase() };
	} catch (error) {
		if (error instanceof DomainError && error.code === 'already_member') {
			throw new Error(
				`--admin-email (ORG_POLICY_ADMIN_EMAIL): ${error.message}, not an admin; choose another address for the recovery admin (or an admin's, for a link that sets their new password)`,
				{ cause: error },
			);
		}
		throw error;
	}
}

async function ensureOrganization(store: Store, clock: Clock, config: ServerConfig, signer: PolicySigner | undefined): Promise<boolean> {
	if (await store.getOrganization(config.orgId)) {
		return false;
	}
	try {
		await createOrganizationWithPolicy(store, { id: config.orgId, name: config.orgName }, clock.now(), signer);
		return true;
	} catch (error) {
		// Several instances starting together on one database: another one created it first.
		if (await store.getOrganization(config.orgId)) {
			return false;
		}
		throw error;
	}
}
