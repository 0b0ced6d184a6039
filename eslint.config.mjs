import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers import only downward (ARCHITECTURE.md, Layers): each entry lists what a layer may not import. */
const layerRules = [
	{ layer: 'src/policy', forbidden: ['client', 'server', 'extension', 'webview'], vscode: false },
	{ layer: 'src/client', forbidden: ['server', 'extension', 'webview'], vscode: false },
	{ layer: 'src/server', forbidden: ['client', 'extension', 'webview'], vscode: false },
	{ layer: 'src/extension', forbidden: ['server'], vscode: true },
	{ layer: 'src/webview', forbidden: ['policy', 'client', 'server', 'extension'], vscode: false },
	// The extension's engine runs in plain Node and is unit-tested there; only features/ and the
	// composition root talk to VS Code.
	...['auth', 'sync', 'lock', 'base', 'provider', 'lm'].map((dir) => ({
		layer: `src/extension/${dir}`,
		forbidden: ['server', 'features'],
		vscode: false,
	})),
];

const layering = layerRules.map(({ layer, forbidden, vscode }) => ({
	files: [`${layer}/**/*.ts`],
	rules: {
		'no-restricted-imports': [
			'error',
			{
				paths: vscode ? [] : [{ name: 'vscode', message: `${layer} must not import vscode (it runs in plain Node).` }],
				patterns: [
					{
						regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
						message: `${layer} may not import ${forbidden.join(', ')}: imports only go downward (ARCHITECTURE.md, Layers).`,
					},
				],
			},
		],
	},
}));

export default tseslint.config(
	{ ignores: ['dist/**', 'dist-vsix/**', 'node_modules/**', 'out/**', '.tools/**', 'test-results/**', 'media/**'] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
		rules: {
			'@typescript-eslint/no-explicit-any': 'error',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
			'no-restricted-syntax': [
				'error',
				{ selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
				// zod's `z` export is one namespace object holding every locale: importing it bundles them all.
				{
					selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
					message: "Write `import * as z from 'zod'`: the named `z` bundles every zod locale.",
				},
			],
			eqeqeq: ['error', 'always'],
			curly: 'error',
		},
	},
	{
		files: ['**/*.mjs', '**/*.cjs', 'scripts/**', 'bench/**', 'test/**/*.mjs'],
		languageOptions: {
			globals: {
				process: 'readonly',
				console: 'readonly',
				Buffer: 'readonly',
				URL: 'readonly',
				setTimeout: 'readonly',
				clearTimeout: 'readonly',
				require: 'readonly',
				module: 'writable',
				exports: 'writable',
				__dirname: 'readonly',
			},
		},
		rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-require-imports': 'off' },
	},
	{ files: ['eslint.config.mjs'], rules: { 'no-restricted-syntax': 'off' } },
	...layering,
);
