// Builds for production and packages the extension as dist-vsix/org-provider-policy.vsix.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, [join(root, 'esbuild.config.mjs'), '--production']);
mkdirSync(join(root, 'dist-vsix'), { recursive: true });
run(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', join(root, 'dist-vsix', 'org-provider-policy.vsix')]);
