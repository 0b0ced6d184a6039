import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { ADMIN, startService, type RunningService } from './service';

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

/** What a console test works with; read in hooks and tests, once the fixture set them. */
export interface SignedInConsole {
	readonly browser: Browser;
	readonly service: RunningService;
	readonly page: Page;
}

/**
 * The usual console test, its hooks registered in the calling `describe`: Chromium for the file,
 * and for each test a fresh service (`prepare` fills it) and a page signed in as its bootstrap admin,
 * at the settings page or the console page `startAt` names.
 */
export function signedInConsole(
	options: { prepare?: (service: RunningService) => Promise<void>; pageOptions?: BrowserContextOptions; startAt?: string } = {},
): SignedInConsole {
	let browser: Browser | undefined;
	let service: RunningService | undefined;
	let page: Page | undefined;
	before(async () => {
		browser = await launchChromium();
	});
	after(async () => browser?.close());
	beforeEach(async () => {
		service = await startService();
		await options.prepare?.(service);
		page = await browser!.newPage(options.pageOptions);
		await signInToConsole(page, service.url);
		if (options.startAt) {
			await page.goto(`${service.url}${options.startAt}`);
		}
	});
	afterEach(async () => {
		await page?.close();
		await service?.close();
	});
	const set = <T>(value: T | undefined, name: string): T => {
		if (value === undefined) {
			throw new Error(`the console fixture has no ${name} yet: read it in a hook or a test`);
		}
		return value;
	};
	return {
		get browser() {
			return set(browser, 'browser');
		},
		get service() {
			return set(service, 'service');
		},
		get page() {
			return set(page, 'page');
		},
	};
}
