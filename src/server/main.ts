import { buildApp } from './app';
import { requestLogSerializers } from './log-redaction';
import { ConfigError, parseConfig } from './config';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/store';

async function openStore(config: ReturnType<typeof parseConfig>): Promise<Store> {
	return config.databaseUrl ? openPostgresStore(config.databaseUrl) : openSqliteStore(config.dataDir);
}

async function main(): Promise<void> {
	let config;
	try {
		config = parseConfig(process.argv.slice(2), process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`org-policy-server: ${error.message}`);
			process.exit(2);
		}
		throw error;
	}
	let store: Store;
	try {
		store = await openStore(config);
	} catch (error) {
		console.error(`org-policy-server: cannot open the ${config.databaseUrl ? 'PostgreSQL database' : `SQLite database in ${config.dataDir}`}: ${(error as Error).message}`);
		process.exit(1);
	}
	const { app, bootstrap } = await buildApp({
		config,
		store,
		logger: config.logLevel === 'silent' ? false : { level: config.logLevel, serializers: requestLogSerializers },
	});

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) {
			return;
		}
		stopping = true;
		app.log.info({ signal }, 'shutting down: finishing in-flight requests and closing event streams');
		await app.close();
		await store.close();
		process.exit(0);
	};
	process.once('SIGTERM', () => void stop('SIGTERM'));
	process.once('SIGINT', () => void stop('SIGINT'));

	await app.listen({ host: config.host, port: config.port });
	const address = app.server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	if (config.port === 0 && !process.argv.includes('--public-url') && !process.env.ORG_POLICY_PUBLIC_URL) {
		config.publicUrl = `http://${config.host}:${port}`;
	}
	const storage = config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
	console.log(`Org Provider Policy service listening on http://${config.host}:${port} (public URL ${config.publicUrl}, data: ${storage})`);
	console.log(`Admin console: ${config.publicUrl}/console`);
	if (bootstrap.setupToken) {
		console.log(`\nFirst start: organization "${config.orgName}" (${config.orgId}) created.`);
		console.log(`Set the bootstrap admin's password with this one-time link:\n  ${config.publicUrl}/invite/${bootstrap.setupToken}\n`);
	}
}

main().catch((error: unknown) => {
	console.error('org-policy-server failed to start:', error instanceof Error ? error.message : error);
	process.exit(1);
});
