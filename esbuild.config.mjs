// Bundles the extension (with Entra ID support in a lazy chunk), the chat webview, the policy
// service and the admin CLI.
// Usage: node esbuild.config.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

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
		external: ['vscode'],
	},
	{
		// Required at run time after activation or on first use: every feature (extension-main), the
		// chat client (openai SDK), Entra ID support.
		...node,
		entryPoints: {
			'extension-main': 'src/extension/extension-main.ts',
			http: 'src/client/http.ts',
			'chat-client': 'src/client/chat-client.ts',
			entra: 'src/client/entra.ts',
			tokenizer: 'src/client/tokenizer.ts',
		},
		outdir: 'dist',
		external: ['vscode'],
	},
	{
		// The admin console's script, served by the service as a static file.
		...common,
		// The Usage page's charts (Chart.js) in a script of their own: the other pages stay small.
		entryPoints: { console: 'src/server/console/browser/main.ts', usage: 'src/server/console/browser/usage.ts' },
		outdir: 'dist/console-assets',
		platform: 'browser',
		format: 'iife',
		target: 'es2022',
	},
	{
		...common,
		entryPoints: { chat: 'src/webview/chat/main.ts' },
		outdir: 'dist/webview',
		platform: 'browser',
		format: 'iife',
		target: 'es2022',
	},
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
	// The extension's icon is the console's too (the browser tab's).
	cpSync('media/icon.svg', 'dist/console-assets/icon.svg');
	mkdirSync('dist/media', { recursive: true });
	cpSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/media/codicon.css');
	cpSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/media/codicon.ttf');
	mkdirSync('dist/webview', { recursive: true });
	cpSync('src/webview/chat/chat.css', 'dist/webview/chat.css');
}

if (!watch) {
	// A clean folder, so no stale file (a source map from a development build) reaches the .vsix.
	rmSync('dist', { recursive: true, force: true });
}
copyStaticAssets();
if (watch) {
	const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
	await Promise.all(contexts.map((context) => context.watch()));
} else {
	await Promise.all(builds.map((options) => esbuild.build(options)));
	await writeJsonSchemas();
	await writePolicyValidators();
}

/** Evaluates a TypeScript module that runs at build time (bundled first, as the tests run it). */
async function buildTimeModule(entry) {
	const bundled = await esbuild.build({ ...node, entryPoints: [entry], write: false, logLevel: 'warning', sourcemap: false });
	const module = { exports: {} };
	new Function('module', 'exports', 'require', bundled.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
	return module.exports;
}

/** The activation path's validators (dist/policy-validators.js): see scripts/precompiled-validators.ts. */
async function writePolicyValidators() {
	const { precompiledValidatorsSource } = await buildTimeModule('scripts/precompiled-validators.ts');
	await esbuild.build({
		...node,
		stdin: { contents: precompiledValidatorsSource(), resolveDir: process.cwd(), sourcefile: 'policy-validators.js', loader: 'js' },
		outfile: 'dist/policy-validators.js',
		// Generated code: always minified, it is read at every start.
		minify: true,
		sourcemap: false,
		logLevel: 'warning',
	});
}

/**
 * The policy's JSON Schemas as files beside the CLI (dist/schema), generated from the same zod
 * schemas the service serves them from: for editors and pipelines without the service at hand.
 */
async function writeJsonSchemas() {
	const { policyJsonSchemas } = await buildTimeModule('src/policy/json-schema.ts');
	mkdirSync('dist/schema', { recursive: true });
	for (const [name, schema] of Object.entries(policyJsonSchemas('.'))) {
		writeFileSync(`dist/schema/${name}.json`, `${JSON.stringify(schema, null, 2)}\n`);
	}
}
