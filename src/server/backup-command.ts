import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, parseConfig } from './config';
import { SQLITE_FILE } from './store/sqlite';

export const BACKUP_USAGE = `usage: org-policy-server admin backup --to FILE [the service's --data-dir]

Copies the embedded SQLite database to FILE, consistent and while the service runs (SQLite's online
backup), made readable by its owner only: it holds the signing key and the header values. FILE must
not exist yet. To restore it, stop the service, put FILE in the data directory as ${SQLITE_FILE}
(with no ${SQLITE_FILE}-wal or -shm beside it), and start the service again: see "Restoring a backup"
in the README. A PostgreSQL database is backed up with pg_dump.`;

/** `--to FILE` taken out of the arguments; the rest are the service's own flags. */
function takeDestination(argv: readonly string[]): { to: string | undefined; rest: string[] } {
	const rest = [...argv];
	const at = rest.findIndex((arg) => arg === '--to' || arg.startsWith('--to='));
	if (at < 0) {
		return { to: undefined, rest };
	}
	const [flag] = rest.splice(at, 1) as [string];
	const to = flag.startsWith('--to=') ? flag.slice('--to='.length) : rest.splice(at, 1)[0];
	return { to, rest };
}

/** `org-policy-server admin backup --to FILE`: returns the exit code. */
export async function runBackup(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
	const fail = (message: string, code = 2) => {
		console.error(`org-policy-server admin backup: ${message}`);
		return code;
	};
	const { to, rest } = takeDestination(argv);
	if (!to) {
		return fail(`--to: is required (the file to write)\n\n${BACKUP_USAGE}`);
	}
	let config;
	try {
		config = parseConfig(rest, env);
	} catch (error) {
		if (error instanceof ConfigError) {
			return fail(error.message);
		}
		throw error;
	}
	if (config.databaseUrl) {
		return fail('--database-url (ORG_POLICY_DATABASE_URL): the service uses PostgreSQL here; back it up with pg_dump');
	}
	const source = join(config.dataDir, SQLITE_FILE);
	if (!existsSync(source)) {
		return fail(`--data-dir (ORG_POLICY_DATA_DIR): there is no ${SQLITE_FILE} in ${resolve(config.dataDir)}`, 1);
	}
	const target = resolve(to);
	try {
		// Made by us, private, before SQLite writes into it: the copy holds the signing key.
		closeSync(openSync(target, 'wx', 0o600));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return fail(code === 'EEXIST' ? `--to: ${target} exists already; choose a new file` : `--to: cannot write ${target} (${code})`);
	}
	const db = new Database(source, { readonly: true, fileMustExist: true });
	try {
		await db.backup(target);
		const copy = new Database(target, { readonly: true });
		const { revision } = copy.prepare('SELECT max(revision) AS revision FROM policy_revisions').get() as { revision: number | null };
		copy.close();
		console.log(`Backed up ${source} (newest revision ${revision ?? 'none'}) to ${target}. Keep it as private as the data directory.`);
		return 0;
	} catch (error) {
		rmSync(target, { force: true });
		return fail(`could not back up ${source}: ${(error as Error).message}`, 1);
	} finally {
		db.close();
	}
}
