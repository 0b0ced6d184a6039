import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN } from './service';

/** Debian's Chromium (or CHROMIUM_PATH), headless, with nothing that would reach beyond loopback. */
export async function launchChromium(): Promise<Browser> {
	const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
	if (!existsSync(executablePath)) {
		throw new Error(`Chromium is missing at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
	}
	return chromium.launch({
		executablePath,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
}

/** Signs the bootstrap admin in to the console with their password, as an admin does, and waits for the settings page. */
export async function signInToConsole(page: Page, serviceUrl: string): Promise<void> {
	await page.goto(`${serviceUrl}/console/login`);
	await page.fill('#email', ADMIN.email);
	await page.fill('#password', ADMIN.password);
	await page.click('#sign-in');
	await page.waitForURL(/\/console\/settings$/);
}
