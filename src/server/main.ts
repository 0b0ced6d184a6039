import { runAdminCommand } from './admin-command';
import { buildApp } from './app';
import { requestLogSerializers } from './log-redaction';
import { isoTime } from './clock';
import { ConfigError, parseConfig } from './config';
import { serverUsage } from './config-help';
import { RELEASE_VERSION } from './release';
import { isLoopbackHost } from '../policy';
import { claimDataDir } from './store/data-dir-claim';
import { describeStorage, openStore } from './store/open';
import type { Store } from './store/store';
import pinoPretty from 'pino-pretty';
import { holdNextTickShape } from './tick-shape';

async function main(): Promise<void> {
	holdNextTickShape();
	if (process.argv[2] === 'admin') {
		process.exit(await runAdminCommand(process.argv.slice(3), process.env));
	}
	if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
		process.stdout.write(serverUsage());
		process.exit(0);
	}
	if (process.argv.slice(2).some((arg) => arg === '--version' || arg === '-v')) {
		process.stdout.write(`org-policy-server ${RELEASE_VERSION}\n`);
		process.exit(0);
	}
	let config;
	try {
		config = parseConfig(process.argv.slice(2), process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`org-policy-server: ${error.message}\n(org-policy-server --help lists every flag)`);
			process.exit(2);
		}
		throw error;
	}
	let claim: { release(): void } | undefined;
	let store: Store;
	try {
		// One service process per embedded database (PostgreSQL takes several).
		claim = config.databaseUrl || config.dataDir === ':memory:' ? undefined : claimDataDir(config.dataDir);
		store = await openStore(config);
	} catch (error) {
		claim?.release();
		console.error(`org-policy-server: cannot open ${describeStorage(config)}: ${(error as Error).message}`);
		process.exit(1);
	}
	const { app, bootstrap } = await buildApp({
		config,
		store,
		logger:
			config.logLevel === 'silent'
				? false
				: {
						level: config.logLevel,
						serializers: requestLogSerializers,
						// In-process (no transport worker), so it works from the bundle; requests stay one short line each.
						...(config.logFormat === 'pretty'
							? {
									stream: pinoPretty({
										colorize: process.stdout.isTTY,
										translateTime: 'HH:MM:ss',
										ignore: 'pid,hostname,reqId,req,res,responseTime',
										messageFormat: '{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} → {res.statusCode}{end}',
									}),
								}
							: {}),
					},
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
		claim?.release();
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
	if (bootstrap.created) {
		console.log(`\nFirst start: organization "${config.orgName}" (${config.orgId}) created.`);
	}
	if (bootstrap.setup) {
		// Printed at every start until an admin has a password, so a lost link costs a restart.
		console.log(
			`No admin has set a password yet. ${bootstrap.setup.email} sets one with this one-time link (valid until ${isoTime(bootstrap.setup.expiresAt)}):`,
		);
		console.log(`  ${config.publicUrl}/invite/${bootstrap.setup.token}\n`);
	}
	for (const warning of [...bootstrap.warnings, ...publicUrlWarnings(config.publicUrl)]) {
		console.warn(`warning: ${warning}`);
	}
}

/** A public URL members' VS Code will not use: plain http to another machine (their sign-in would cross the network readable). */
function publicUrlWarnings(publicUrl: string): string[] {
	const url = new URL(publicUrl);
	return url.protocol === 'http:' && !isLoopbackHost(url.hostname)
		? [
				`the public URL ${publicUrl} is plain http on another machine: members' VS Code refuses it (their sign-in and the policy's header values would cross the network unencrypted). Put TLS in front and pass its https address with --public-url.`,
			]
		: [];
}

main().catch((error: unknown) => {
	console.error('org-policy-server failed to start:', error instanceof Error ? error.message : error);
	process.exit(1);
});
