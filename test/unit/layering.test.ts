import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { ESLint } from 'eslint';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

async function restrictedImports(file: string, source: string): Promise<string[]> {
	const eslint = new ESLint({ cwd: root });
	const [result] = await eslint.lintText(source, { filePath: join(root, file) });
	return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('layering lint rule', function () {
	this.timeout(30_000);

	const forbidden: [string, string][] = [
		['src/policy/fixture.ts', "import * as vscode from 'vscode';"],
		['src/client/fixture.ts', "import { window } from 'vscode';"],
		['src/client/nested/fixture.ts', "import { x } from '../../extension/x';"],
		['src/server/fixture.ts', "import { activate } from '../extension/extension';"],
		['src/server/routes/fixture.ts', "import { createClient } from '../../client/factory';"],
		['src/server/fixture.ts', "import type * as vscode from 'vscode';"],
		['src/policy/fixture.ts', "export { x } from '../client/x';"],
		['src/extension/fixture.ts', "import { start } from '../server/main';"],
		['src/webview/fixture.ts', "import { PolicyDocumentSchema } from '../policy';"],
		['src/extension/sync/fixture.ts', "import * as vscode from 'vscode';"],
		['src/extension/auth/fixture.ts', "import type { Uri } from 'vscode';"],
		['src/extension/lock/fixture.ts', "import { window } from 'vscode';"],
		['src/extension/base/fixture.ts', "import { env } from 'vscode';"],
		['src/extension/sync/fixture.ts', "import { SyncFeature } from '../features/sync-feature';"],
		['src/extension/lm/fixture.ts', "import { LanguageModelChatMessage } from 'vscode';"],
		['src/extension/lm/fixture.ts', "import { LanguageModelFeature } from '../features/language-model-feature';"],
	];
	for (const [file, source] of forbidden) {
		it(`rejects ${source} in ${file}`, async () => {
			const messages = await restrictedImports(file, `${source}\nexport const y = 1;\n`);
			assert.equal(messages.length, 1, `lint accepted a forbidden import: ${source}`);
		});
	}

	const allowed: [string, string][] = [
		['src/client/fixture.ts', "import { PolicyDocumentSchema } from '../policy';"],
		['src/server/fixture.ts', "import { signPolicy } from '../policy/signature';"],
		['src/extension/fixture.ts', "import * as vscode from 'vscode';\nimport { createClient } from '../client/factory';"],
		['src/extension/features/fixture.ts', "import * as vscode from 'vscode';\nimport { PolicySync } from '../sync/policy-sync';"],
		['src/extension/sync/fixture.ts', "import { serviceFetch } from '../base/service-http';"],
	];
	for (const [file, source] of allowed) {
		it(`allows ${source.split('\n').pop()} in ${file}`, async () => {
			assert.deepEqual(await restrictedImports(file, `${source}\nexport const y = 1;\n`), []);
		});
	}
});

describe('zod import lint rule', function () {
	this.timeout(30_000);

	const messages = async (source: string) => {
		const [result] = await new ESLint({ cwd: root }).lintText(`${source}\nexport const y = z;\n`, {
			filePath: join(root, 'src/policy/fixture.ts'),
		});
		return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-syntax').map((message) => message.message);
	};

	it('rejects the named `z` (it bundles every zod locale) and allows the namespace import', async () => {
		assert.equal((await messages("import { z } from 'zod';")).length, 1);
		assert.equal((await messages("import type { z } from 'zod';")).length, 1);
		assert.deepEqual(await messages("import * as z from 'zod';"), []);
	});
});

describe('file size', () => {
	it('keeps every file in src/ at 300 lines or fewer', () => {
		const walk = (dir: string): string[] =>
			readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
		const long = walk(join(root, 'src'))
			.filter((file) => /\.(ts|js|css)$/.test(file))
			.map((file) => ({ file: file.slice(root.length + 1), lines: readFileSync(file, 'utf8').trimEnd().split('\n').length }))
			.filter(({ lines }) => lines > 300);
		assert.deepEqual(long, []);
	});
});
