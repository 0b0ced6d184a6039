// Builds for production and packages the extension as dist-vsix/org-provider-policy.vsix.
// The Marketplace page is docs/marketplace/README.md, written for members (this repository's README
// is for developers). Its screenshot is a relative link: the Marketplace shows only https images, so
// set ORG_POLICY_MARKETPLACE_IMAGES_URL to where this repository's files are published (e.g. a raw
// GitHub URL ending in /); without it the package's README goes without the image, with a warning.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, [join(root, 'esbuild.config.mjs'), '--production']);
mkdirSync(join(root, 'dist-vsix'), { recursive: true });

const imagesUrl = process.env.ORG_POLICY_MARKETPLACE_IMAGES_URL;
let text = readFileSync(join(root, 'docs', 'marketplace', 'README.md'), 'utf8');
if (!imagesUrl) {
	console.warn(
		'warning: ORG_POLICY_MARKETPLACE_IMAGES_URL is not set: the packaged README leaves out its screenshot (media/screenshots/ is still in the package).',
	);
	text = text.replace(/^!\[[^\]]*\]\([^)]*\)\n\n?/gm, '');
}
// vsce takes a README only from among the packaged files (see .vscodeignore).
const readme = join(root, 'dist', 'README.marketplace.md');
writeFileSync(readme, text);
run(process.execPath, [
	vsce,
	'package',
	'--no-dependencies',
	'--allow-missing-repository',
	'--readme-path',
	'dist/README.marketplace.md',
	...(imagesUrl ? ['--baseImagesUrl', imagesUrl] : []),
	'--out',
	join(root, 'dist-vsix', 'org-provider-policy.vsix'),
]);
