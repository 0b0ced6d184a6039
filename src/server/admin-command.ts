import { createAccounts, DEFAULT_TIMINGS } from './accounts';
import { AuditLog } from './audit';
import { adminSetupLink, DEFAULT_ADMIN_EMAIL } from './bootstrap';
import { systemClock, isoTime } from './clock';
import { ConfigError, parseConfig } from './config';
import { PolicyEvents } from './policy/policy-service';
import { describeStorage, openStore } from './store/open';

const USAGE = `usage: org-policy-server admin reset-link [--admin-email EMAIL] [the service's --data-dir/--database-url, --org-id, --public-url]

Prints a one-time link that makes EMAIL (default ${DEFAULT_ADMIN_EMAIL}) an admin of the organization,
for when the first link or every admin password is lost. It works on the database directly, so only
someone who can open it can run it; the service may keep running.`;

/** `org-policy-server admin …`: operator commands that need the database, not an admin session. Returns the exit code. */
export async function runAdminCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
	if (argv[0] !== 'reset-link') {
		console.error(USAGE);
		return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
	}
	let config;
	try {
		config = parseConfig(argv.slice(1), env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`org-policy-server admin reset-link: ${error.message}`);
			return 2;
		}
		throw error;
	}
	const store = await openStore(config);
	try {
		if (!(await store.getOrganization(config.orgId))) {
			console.error(
				`org-policy-server admin reset-link: --org-id (ORG_POLICY_ORG_ID): there is no organization "${config.orgId}" in ${describeStorage(config)}; start the service once to create it`,
			);
			return 1;
		}
		// Only `invite` is used: no key is signed here.
		const accounts = createAccounts(store, new PolicyEvents(), systemClock, DEFAULT_TIMINGS, async () => undefined);
		const setup = await adminSetupLink(accounts.members, config.orgId, config.adminEmail ?? DEFAULT_ADMIN_EMAIL);
		// Whoever can open the database is the operator: the link is in the activity list, not who ran it.
		const audit = new AuditLog(store.audit, systemClock, { info: () => undefined, warn: () => undefined });
		await audit.record(config.orgId, 'operator (admin reset-link)', 'admin.reset_link', 'ok', { admin: setup.email });
		console.log(
			`One-time link for ${setup.email} to become an admin of ${config.orgId} (valid until ${isoTime(setup.expiresAt)}):\n  ${config.publicUrl}/invite/${setup.token}`,
		);
		return 0;
	} catch (error) {
		console.error(`org-policy-server admin reset-link: ${(error as Error).message}`);
		return 1;
	} finally {
		await store.close();
	}
}
