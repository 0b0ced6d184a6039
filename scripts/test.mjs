// Runs the test suites in order and ends with one "N passed, N failed" line summing them all.
// Usage: node scripts/test.mjs [unit|server|server-pg|reliability|e2e|integration|bench ...] (default: all of them)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSupportedNode } from './node-version.mjs';

assertSupportedNode();

const root = new URL('..', import.meta.url).pathname;
const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
const reporter = join(root, 'test/support/counting-reporter.cjs');

/** The member's day's core, which the host matrix runs on each VS Code version. */
const MATRIX_GREP =
	"activates|signs in with the device flow|applies the admin|VS Code's own chat|sends a chat completion|offers another extension|utility models|streams another extension|completes a tool round trip|shaped like|password page";

const suites = {
	unit: {
		needsBuild: false,
		command: [process.execPath, mocha, '--reporter', reporter, '--config', join(root, 'test/unit/.mocharc.json')],
	},
	server: {
		needsBuild: false,
		command: [process.execPath, mocha, '--reporter', reporter, '--config', join(root, 'test/server/.mocharc.json')],
	},
	// The API suites again with every service on PostgreSQL (runs when a server is given).
	'server-pg': {
		needsBuild: false,
		when: () => Boolean(process.env.ORG_POLICY_TEST_DATABASE_URL),
		env: { ORG_POLICY_TEST_STORE: 'postgres' },
		command: [
			process.execPath,
			mocha,
			'--reporter',
			reporter,
			'--node-option',
			'import=tsx',
			'--timeout',
			'20000',
			...[
				'policy-api',
				'oauth',
				'cli',
				'log-redaction',
				'schema-versions',
				'security',
				'key-custody',
				'sso',
				'scim',
				'scim-conformance',
				'usage-api',
				'usage-reporting',
				'scim-groups',
				'groups',
				'organization-tokens',
				'overlays',
				'overlay-changes',
				'vscode-settings',
				'rollouts',
				'admin-tokens',
				'member-sign-out',
				'invitation-withdrawal',
				'member-roles',
				'activity',
				'account-password',
				'password-reset',
			].map((name) => join(root, `test/server/${name}.test.ts`)),
		],
	},
	// Faults: a full disk, damaged databases (the PostgreSQL reconnection runs in server, with its instances).
	reliability: {
		needsBuild: false,
		command: [process.execPath, mocha, '--reporter', reporter, '--config', join(root, 'test/reliability/.mocharc.json')],
	},
	e2e: { needsBuild: true, command: [process.execPath, mocha, '--reporter', reporter, '--config', join(root, 'test/e2e/.mocharc.json')] },
	integration: { needsBuild: true, command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts')] },
	// A machine with no policy server and nobody signed in: a member's first minute (#28 item 2).
	'integration-first-run': {
		needsBuild: true,
		command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts'), '--first-run'],
	},
	// The same host with the production .vsix installed as members install it (a part of the member's day).
	'integration-packaged': {
		needsBuild: true,
		command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts'), '--packaged'],
	},
	// A member's update: release 0.2.0's package signed in and holding a policy, this release installed over it.
	'integration-upgrade': {
		needsBuild: true,
		command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts'), '--upgrade'],
	},
	// The host matrix: the oldest VS Code we support and a current one (code-server 4.139 runs on
	// Node 24, from the npm registry), on the core of the member's day — sign-in, the policy, both
	// assistants' shapes through vscode.lm, tool round trips. The full day runs on 1.117 above.
	'integration-vscode-1.104': {
		needsBuild: true,
		command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts')],
		env: { ORG_POLICY_CODE_SERVER_VERSION: '4.104.0', ORG_POLICY_INTEGRATION_GREP: MATRIX_GREP },
	},
	'integration-vscode-1.139': {
		needsBuild: true,
		command: [process.execPath, '--import', 'tsx', join(root, 'test/integration/launch.ts')],
		env: {
			ORG_POLICY_CODE_SERVER_VERSION: '4.139.1',
			ORG_POLICY_HOST_NODE_MAJOR: '24',
			ORG_POLICY_HOST_VSCODE_SERVER: '1',
			ORG_POLICY_INTEGRATION_GREP: MATRIX_GREP,
		},
	},
	// The benchmarks in a tiny smoke mode: they still run; their targets are read from bench/results.md.
	bench: { needsBuild: false, command: [process.execPath, join(root, 'bench/run.mjs'), '--smoke'] },
};

const requested = process.argv.slice(2);
const names =
	requested.length > 0
		? requested
		: Object.keys(suites).filter((name) => {
				const when = suites[name].when;
				if (when && !when()) {
					console.log(
						`(suite ${name} not run: set ORG_POLICY_TEST_DATABASE_URL to a PostgreSQL server, e.g. from scripts/test-postgres.sh start)`,
					);
					return false;
				}
				return true;
			});
for (const name of names) {
	if (!(name in suites)) {
		console.error(`unknown suite "${name}"; choose from ${Object.keys(suites).join(', ')}`);
		process.exit(2);
	}
}

function run(command, env) {
	return new Promise((resolve) => {
		const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, ...env }, cwd: root });
		child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
	});
}

if (names.some((name) => suites[name].needsBuild)) {
	const code = await run([process.execPath, join(root, 'esbuild.config.mjs')], {});
	if (code !== 0) {
		console.error('build failed');
		process.exit(code);
	}
}

const statsDir = mkdtempSync(join(tmpdir(), 'opp-test-stats-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
const failures = [];
for (const name of names) {
	const statsFile = join(statsDir, `${name}.json`);
	console.log(`\n━━ ${name} ━━`);
	const code = await run(suites[name].command, { ...suites[name].env, TEST_STATS_FILE: statsFile });
	const stats = existsSync(statsFile) ? JSON.parse(readFileSync(statsFile, 'utf8')) : { passed: 0, failed: 0, skipped: 0 };
	if (code !== 0 && stats.failed === 0) {
		// The runner died before reporting (crash, hang, launcher failure): count the suite as one failure.
		stats.failed = 1;
	}
	for (const failure of stats.failures ?? []) {
		failures.push({ suite: name, ...failure });
	}
	totals.passed += stats.passed;
	totals.failed += stats.failed;
	totals.skipped += stats.skipped;
	summary.push(`${name}: ${stats.passed} passed, ${stats.failed} failed${stats.skipped ? `, ${stats.skipped} skipped` : ''}`);
}
rmSync(statsDir, { recursive: true, force: true });

// Repeated last, where a log cut to its tail still shows what failed.
for (const { suite, title, message } of failures) {
	console.log(`\n✗ [${suite}] ${title}\n${message.replace(/^/gm, '    ')}`);
}
console.log(`\n${summary.join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
