// Bundles the extension, the policy service, the admin CLI and the chat webview.
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

const builds = [
	{
		...node,
		entryPoints: { extension: 'src/extension/extension.ts' },
		outdir: 'dist',
		// Loaded on demand only (Entra ID): keep it out of the activation bundle.
		external: ['vscode', '@azure/identity'],
	},
	{
		...node,
		entryPoints: { server: 'src/server/main.ts', cli: 'src/server/cli.ts' },
		outdir: 'dist',
		external: ['better-sqlite3', 'pg-native'],
		banner: { js: '#!/usr/bin/env node' },
	},
	{
		...common,
		entryPoints: { chat: 'src/webview/chat/main.ts' },
		outdir: 'dist/webview',
		platform: 'browser',
		format: 'iife',
		target: 'es2022',
	},
];

function copyStaticAssets() {
	mkdirSync('dist/media', { recursive: true });
	cpSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/media/codicon.css');
	cpSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/media/codicon.ttf');
}

copyStaticAssets();
if (watch) {
	const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
	await Promise.all(contexts.map((context) => context.watch()));
} else {
	await Promise.all(builds.map((options) => esbuild.build(options)));
}
