import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('extension package', function () {
	this.timeout(120_000);

	it('packages a .vsix holding only dist/, media/, package.json, README.md and LICENSE', () => {
		execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: 'pipe' });
		assert.ok(existsSync(join(root, 'dist-vsix', 'org-provider-policy.vsix')));
		const files = execFileSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' })
			.split('\n')
			.map((line) => line.trim())
			.filter(Boolean);
		const allowed = (file: string) => /^(dist\/|media\/)/.test(file) || ['package.json', 'README.md', 'LICENSE'].includes(file);
		assert.deepEqual(files.filter((file) => !allowed(file)), []);
		for (const required of ['dist/extension.js', 'dist/http.js', 'dist/chat-client.js', 'dist/entra.js', 'dist/webview/chat.js', 'dist/webview/chat.css', 'dist/media/codicon.css', 'package.json', 'README.md', 'LICENSE']) {
			assert.ok(files.includes(required), `${required} is missing from ${files.join(', ')}`);
		}
		assert.deepEqual(files.filter((file) => file.endsWith('.map') || file.startsWith('dist/server') || file.startsWith('dist/cli')), [], 'no source maps or service code in the extension');
	});
});
