import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the tests may use (`.ci/run` starts one); unset means skip. */
export const TEST_DATABASE_URL = process.env.ORG_POLICY_TEST_DATABASE_URL;

/** A fresh, empty database for one test, dropped afterwards. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
	if (!TEST_DATABASE_URL) {
		throw new Error('ORG_POLICY_TEST_DATABASE_URL is not set');
	}
	const name = `opp_test_${randomBytes(6).toString('hex')}`;
	const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
	await admin.connect();
	await admin.query(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = new URL(TEST_DATABASE_URL);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		drop: async () => {
			const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
			await client.connect();
			await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			await client.end();
		},
	};
}
