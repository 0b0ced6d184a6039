// Renders media/icon.svg to media/icon.png (128×128), the Marketplace icon (it must be a PNG).
// Run after changing the SVG: node scripts/render-icon.mjs (needs Chromium, as the e2e suite does).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu'],
});
try {
	const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
	await page.setContent(
		`<style>html,body{margin:0;background:transparent}</style>${readFileSync(join(root, 'media', 'icon.svg'), 'utf8')}`,
	);
	await page.locator('svg').screenshot({ path: join(root, 'media', 'icon.png'), omitBackground: true });
} finally {
	await browser.close();
}
