import { buildPolicyDocument, generateSigningKeyPair, signPolicy } from '../policy';
import type { Accounts } from './accounts';
import { isoAt, type Clock } from './clock';
import type { ServerConfig } from './config';
import { encodeSigned } from './policy-service';
import type { Store } from './store/store';

export interface BootstrapResult {
	created: boolean;
	/** One-time invitation for the bootstrap admin to set a password (when none was configured). */
	setupToken?: string;
}

/**
 * First start: the organization, its signing key, revision 1 (disabled: members choose freely
 * until an admin saves) and a bootstrap admin.
 */
export async function bootstrap(store: Store, accounts: Accounts, clock: Clock, config: ServerConfig): Promise<BootstrapResult> {
	if (await store.getOrganization(config.orgId)) {
		return { created: false };
	}
	const keys = generateSigningKeyPair();
	const now = isoAt(clock);
	await store.createOrganization({ id: config.orgId, name: config.orgName, createdAt: now }, { orgId: config.orgId, privateKeyPem: keys.privateKeyPem, createdAt: now }, (revision) => {
		const document = buildPolicyDocument({ enabled: false }, { organization: { id: config.orgId, name: config.orgName }, revision, updatedAt: now, updatedBy: 'system' });
		return { orgId: config.orgId, revision, signedJson: encodeSigned(signPolicy(document, keys.privateKeyPem)), createdAt: now, createdBy: 'system' };
	});
	if (config.adminEmail && config.adminPassword) {
		await accounts.createUser(config.orgId, config.adminEmail, 'admin', config.adminPassword);
		return { created: true };
	}
	const invitation = await accounts.invite(config.orgId, config.adminEmail ?? 'admin@localhost', 'admin', 'system');
	return { created: true, setupToken: invitation.token };
}

