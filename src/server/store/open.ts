import type { ServerConfig } from '../config';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store } from './store';

/** The configured database: PostgreSQL when `--database-url` is set, else SQLite in the data directory. */
export async function openStore(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): Promise<Store> {
	return config.databaseUrl ? openPostgresStore(config.databaseUrl) : openSqliteStore(config.dataDir);
}

export function describeStorage(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): string {
	return config.databaseUrl ? 'the PostgreSQL database' : `the SQLite database in ${config.dataDir}`;
}
