// Bundles the policy service and the admin CLI.
// Usage: node esbuild.config.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
	bundle: true,
	minify: production,
	sourcemap: !production,
	sourcesContent: false,
	logLevel: 'info',
	legalComments: 'none',
};

const node = {
	...common,
	platform: 'node',
	format: 'cjs',
	target: 'node22',
};

// The extension (dist/extension.js, vscode external, @azure/identity in a lazy chunk) and the chat
// webview (browser iife) join this list with their sources (issues 3 and 4).
const builds = [
	{
		...node,
		entryPoints: { server: 'src/server/main.ts', cli: 'src/server/cli.ts' },
		outdir: 'dist',
		// Native addon: loaded from node_modules at run time, never bundled.
		external: ['better-sqlite3', 'pg-native'],
		banner: { js: '#!/usr/bin/env node' },
	},
];

function copyStaticAssets() {
	mkdirSync('dist/console-assets', { recursive: true });
	cpSync('src/server/console/assets', 'dist/console-assets', { recursive: true });
}

copyStaticAssets();
if (watch) {
	const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
	await Promise.all(contexts.map((context) => context.watch()));
} else {
	await Promise.all(builds.map((options) => esbuild.build(options)));
}
