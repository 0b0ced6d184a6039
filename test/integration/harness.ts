/**
 * What the integration launcher's parts share: where things are, the packaged run's choice, and
 * the builds the host loads (the suite, the test consumer, the production package).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export const root = join(__dirname, '..', '..');
export const artifacts = join(root, 'test-results');
export const HOST_TIMEOUT_MS = Number(process.env.ORG_POLICY_INTEGRATION_TIMEOUT_MS ?? 300_000);
export const MEMBER = { email: 'dev@acme.example', password: 'pw-dev@acme.example-long-enough' };
/**
 * `--packaged`: the host installs the production .vsix as a member would (`--install-extension`) and
 * runs the part of the member's day that shows what ships works; the test consumer is the
 * development extension then, so the installed package is the one under test.
 */
export const PACKAGED = process.argv.includes('--packaged');
/**
 * `--upgrade`: a member's VS Code with release 0.2.0 installed (the package members have), signed in
 * and holding a policy; this release's package is then installed over it and VS Code starts again.
 */
export const UPGRADE = process.argv.includes('--upgrade');
/** Release 0.2.0's production package, as members installed it (test/fixtures/release-0.2.0/README.md says how it was made). */
export const RELEASE_0_2_0_VSIX = join(root, 'test', 'fixtures', 'release-0.2.0', 'org-provider-policy-0.2.0.vsix');
/** `--first-run`: a machine with no policy server configured (no bootstrap file), for a member's first minute. */
export const FIRST_RUN = process.argv.includes('--first-run');
export const PACKAGED_GREP = [
	'activates;',
	'signs in with the device flow',
	"applies the admin's policy",
	'sends a chat completion',
	'offers another extension',
	"streams another extension's request",
	'completes a tool round trip',
	'loads Entra ID support',
	'the packaged extension, as members install it',
]
	.map((title) => title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
	.join('|');

/** Builds the production package, as members get it (scripts/package.mjs). */
export function packageExtension(): string {
	const built = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, encoding: 'utf8' });
	if (built.status !== 0) {
		throw new Error(`could not package the extension: ${built.stderr || built.stdout}`);
	}
	return join(root, 'dist-vsix', 'org-provider-policy.vsix');
}

export function log(message: string): void {
	console.log(`[integration] ${message}`);
}

/** Bundles code that runs in the extension host, where `vscode` (and the host's mocha) are provided. */
export async function bundleForHost(entryPoints: Record<string, string>, outdir: string, external: string[]): Promise<void> {
	await esbuild.build({
		entryPoints,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node22',
		outdir,
		external,
		sourcemap: 'inline',
		logLevel: 'warning',
	});
}

export async function buildSuite(): Promise<string> {
	const outdir = join(root, 'out', 'integration');
	await bundleForHost({ index: join(root, 'test/integration/suite/index.ts') }, outdir, ['vscode', 'mocha']);
	return join(outdir, 'index');
}

/**
 * The stand-in for Cline's "VS Code LM API" provider, built and packaged as a .vsix so the host
 * loads it beside the extension under test, as a member's VS Code would.
 */
export async function buildConsumer(): Promise<{ dir: string; vsix: string }> {
	const dir = join(root, 'out', 'lm-consumer');
	rmSync(dir, { recursive: true, force: true });
	await bundleForHost({ extension: join(root, 'test/integration/lm-consumer/extension.ts') }, dir, ['vscode']);
	copyFileSync(join(root, 'test/integration/lm-consumer/package.json'), join(dir, 'package.json'));
	writeFileSync(join(dir, 'README.md'), '# Language Model consumer (test)\n');
	const vsix = join(root, 'out', 'lm-consumer.vsix');
	const packaged = spawnSync(
		process.execPath,
		[
			join(root, 'node_modules/@vscode/vsce/vsce'),
			'package',
			'--no-dependencies',
			'--allow-missing-repository',
			'--skip-license',
			'--out',
			vsix,
		],
		{ cwd: dir, encoding: 'utf8' },
	);
	if (packaged.status !== 0) {
		throw new Error(`could not package the consumer extension: ${packaged.stderr || packaged.stdout}`);
	}
	return { dir, vsix };
}
