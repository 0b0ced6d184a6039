import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/server/store/postgres';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { freshDatabase, TEST_DATABASE_URL } from './postgres';

/** A store to open (and reopen) for one test, and its removal afterwards. */
export interface StoreHarness {
	open(): Promise<Store>;
	cleanup(): Promise<void>;
}

/** The databases a store contract runs on: SQLite always, PostgreSQL when a server is given. */
export const STORE_HARNESSES: readonly { name: string; make: () => Promise<StoreHarness> }[] = [
	{
		name: 'SQLite',
		make: async () => {
			const dir = mkdtempSync(join(tmpdir(), 'opp-store-'));
			return { open: () => openSqliteStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
		},
	},
	...(TEST_DATABASE_URL
		? [
				{
					name: 'PostgreSQL',
					make: async () => {
						const database = await freshDatabase();
						return { open: () => openPostgresStore(database.url), cleanup: database.drop };
					},
				},
			]
		: []),
];
