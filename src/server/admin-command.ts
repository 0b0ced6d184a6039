import { createAccounts, DEFAULT_TIMINGS, OPERATOR, PasswordResets } from './accounts';
import { AuditLog } from './audit';
import { adminSetupLink, DEFAULT_ADMIN_EMAIL } from './bootstrap';
import { systemClock, isoTime } from './clock';
import { ConfigError, parseConfig } from './config';
import { PolicyEvents } from './policy/policy-service';
import { describeStorage, openStore } from './store/open';
import { BACKUP_USAGE, runBackup } from './backup-command';

const USAGE = `usage: org-policy-server admin reset-link [--admin-email EMAIL] [the service's --data-dir/--database-url, --org-id, --public-url]

Prints a one-time link that makes EMAIL (default ${DEFAULT_ADMIN_EMAIL}) an admin of the organization,
for when the first link or every admin password is lost; when EMAIL is an admin already, a link that
sets their new password (and ends their sign-ins). It works on the database directly, so only someone
who can open it can run it; the service may keep running.`;

/** `org-policy-server admin …`: operator commands that need the database, not an admin session. Returns the exit code. */
export async function runAdminCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
	if (argv[0] === 'backup') {
		return runBackup(argv.slice(1), env);
	}
	if (argv[0] !== 'reset-link') {
		console.error(`${USAGE}\n\n${BACKUP_USAGE}`);
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
		// No key is signed here: the accounts only invite and reset.
		const accounts = createAccounts(store, new PolicyEvents(), systemClock, DEFAULT_TIMINGS, async () => undefined);
		// Whoever can open the database is the operator: the link is in the activity list, not who ran it.
		const audit = new AuditLog(store.audit, systemClock, { info: () => undefined, warn: () => undefined });
		const email = (config.adminEmail ?? DEFAULT_ADMIN_EMAIL).trim().toLowerCase();
		const existing = await store.findUserByEmail(config.orgId, email);
		if (existing?.role === 'admin') {
			// The operator's links are break-glass: the organization's sign-in rules are not asked (see PasswordResets.issue).
			const resets = new PasswordResets(store, accounts.members, async () => true, systemClock, DEFAULT_TIMINGS);
			const reset = await resets.issue(config.orgId, existing.id, OPERATOR);
			await audit.record(config.orgId, 'operator (admin reset-link)', 'admin.reset_link', 'ok', { admin: email, passwordReset: true });
			console.log(
				`One-time link for ${email}, an admin of ${config.orgId}, to set a new password (valid until ${isoTime(reset.expiresAt)}; their sign-ins end when it is used):\n  ${config.publicUrl}/reset/${reset.token}`,
			);
			return 0;
		}
		const setup = await adminSetupLink(accounts.members, config.orgId, email);
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
