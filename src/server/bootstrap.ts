import type { Members } from './accounts';
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
		await members.create(config.orgId, config.adminEmail, 'admin', config.adminPassword);
		return { created: true };
	}
	const invitation = await members.invite(config.orgId, config.adminEmail ?? 'admin@localhost', 'admin', 'system');
	return { created: true, setupToken: invitation.token };
}

