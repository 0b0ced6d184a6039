import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('extension package', function () {
	this.timeout(120_000);

	it("packages a .vsix holding only dist/, media/, package.json, CHANGELOG.md and LICENSE, with the members' README and an icon", () => {
		execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: 'pipe' });
		assert.ok(existsSync(join(root, 'dist-vsix', 'org-provider-policy.vsix')));
		// What the .vsix holds, read from the archive itself (vsce puts the package under extension/).
		const files = execFileSync('unzip', ['-Z1', join(root, 'dist-vsix', 'org-provider-policy.vsix')], { encoding: 'utf8' })
			.split('\n')
			.map((line) => line.trim())
			.filter((line) => line.startsWith('extension/') && !line.endsWith('/'))
			.map((line) => line.slice('extension/'.length))
			// vsce's own renames: the README given is readme.md, CHANGELOG.md is changelog.md, LICENSE is LICENSE.txt.
			.filter((line) => !['readme.md', 'changelog.md', 'LICENSE.txt'].includes(line));
		const readme = execFileSync('unzip', ['-p', join(root, 'dist-vsix', 'org-provider-policy.vsix'), 'extension/readme.md'], {
			encoding: 'utf8',
		});
		assert.match(readme, /^# Org Provider Policy\n[\s\S]*## What it does/, "the Marketplace page is the members' README");
		assert.match(
			execFileSync('unzip', ['-Z1', join(root, 'dist-vsix', 'org-provider-policy.vsix')], { encoding: 'utf8' }),
			/extension\/changelog\.md/,
		);
		const allowed = (file: string) => /^(dist\/|media\/)/.test(file) || ['package.json', 'CHANGELOG.md', 'LICENSE'].includes(file);
		assert.deepEqual(
			files.filter((file) => !allowed(file)),
			[],
		);
		for (const required of [
			'dist/extension.js',
			'dist/http.js',
			'dist/chat-client.js',
			'dist/entra.js',
			'dist/webview/chat.js',
			'dist/webview/chat.css',
			'dist/media/codicon.css',
			'media/icon.png',
			'media/activity.svg',
			'package.json',
		]) {
			assert.ok(files.includes(required), `${required} is missing from ${files.join(', ')}`);
		}
		assert.deepEqual(
			files.filter((file) => file.endsWith('.map') || file.startsWith('dist/server') || file.startsWith('dist/cli')),
			[],
			'no source maps or service code in the extension',
		);
	});

	it('carries every chunk the bundles load lazily (require(join(__dirname, …)))', () => {
		execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: 'pipe' });
		const vsix = join(root, 'dist-vsix', 'org-provider-policy.vsix');
		const packaged = new Set(
			execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' })
				.split('\n')
				.map((line) => line.trim()),
		);
		// Follow what each packaged bundle loads, from the entry point on, as the extension host would.
		const loaded = new Set<string>();
		const queue = ['dist/extension.js'];
		const missing: string[] = [];
		while (queue.length > 0) {
			const file = queue.shift()!;
			if (loaded.has(file)) {
				continue;
			}
			loaded.add(file);
			if (!packaged.has(`extension/${file}`)) {
				missing.push(file);
				continue;
			}
			const code = execFileSync('unzip', ['-p', vsix, `extension/${file}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
			// The production build minifies `require(join(__dirname, 'x.js'))` to `…(__dirname,"x.js")`.
			for (const match of code.matchAll(/__dirname\s*,\s*["'`]([^"'`]+\.js)["'`]/g)) {
				queue.push(join(dirname(file), match[1]!));
			}
		}
		assert.deepEqual(missing, [], `the package lacks chunks the extension loads: ${missing.join(', ')}`);
		for (const chunk of ['dist/http.js', 'dist/chat-client.js', 'dist/entra.js', 'dist/tokenizer.js']) {
			assert.ok(loaded.has(chunk), `${chunk} is found by following the bundle (the scan still sees lazy loads)`);
		}
	});

	it("gives the Marketplace page the members' README, with its screenshot from where the images are published", () => {
		execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], {
			cwd: root,
			stdio: 'pipe',
			env: { ...process.env, ORG_POLICY_MARKETPLACE_IMAGES_URL: 'https://example.invalid/opp/' },
		});
		const readme = readFileSync(join(root, 'dist', 'README.marketplace.md'), 'utf8');
		assert.match(readme, /^# Org Provider Policy\n/);
		assert.match(readme, /## What it does/);
		assert.match(readme, /!\[The chat view locked to the organization's endpoint\]\(media\/screenshots\/chat-view\.png\)/);
		assert.ok(existsSync(join(root, 'media', 'screenshots', 'chat-view.png')));
		const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
		assert.equal(manifest.icon, 'media/icon.png');
	});

	it("ships the policy's JSON Schemas beside the admin CLI (dist/schema), the same ones the service serves, and not in the .vsix", async () => {
		// The .vsix test above built the production bundle.
		const { policyJsonSchemas } = await import('../../src/policy/json-schema');
		for (const [name, schema] of Object.entries(policyJsonSchemas('.'))) {
			assert.deepEqual(JSON.parse(readFileSync(join(root, 'dist', 'schema', `${name}.json`), 'utf8')), schema, name);
		}
		const files = execFileSync('unzip', ['-Z1', join(root, 'dist-vsix', 'org-provider-policy.vsix')], { encoding: 'utf8' });
		assert.doesNotMatch(files, /schema\//);
	});
});
