import { DomainError, type Members } from './accounts';
import type { Clock } from './clock';
import type { ServerConfig } from './config';
import { createOrganizationWithPolicy } from './policy-service';
import type { Store } from './store/store';

export interface BootstrapResult {
	created: boolean;
	/** One-time invitation for the bootstrap admin to set a password (when none was configured). */
	setupToken?: string;
}

/** First start: the organization (with its signing key and revision 1) and a bootstrap admin. */
export async function bootstrap(store: Store, members: Pick<Members, 'create' | 'invite'>, clock: Clock, config: ServerConfig): Promise<BootstrapResult> {
	if (await store.getOrganization(config.orgId)) {
		return { created: false };
	}
	try {
		await createOrganizationWithPolicy(store, { id: config.orgId, name: config.orgName }, clock.now());
	} catch (error) {
		// Several instances starting together on one database: another one created it first.
		if (await store.getOrganization(config.orgId)) {
			return { created: false };
		}
		throw error;
	}
	if (config.adminEmail && config.adminPassword) {
		try {
			await members.create(config.orgId, config.adminEmail, 'admin', config.adminPassword);
		} catch (error) {
			throw error instanceof DomainError ? new Error(`--admin-password (ORG_POLICY_ADMIN_PASSWORD): ${error.message}`) : error;
		}
		return { created: true };
	}
	const invitation = await members.invite(config.orgId, config.adminEmail ?? 'admin@localhost', 'admin', 'system');
	return { created: true, setupToken: invitation.token };
}

