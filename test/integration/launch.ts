/**
 * Runs test/integration/suite inside a real VS Code extension host, against a real policy
 * service and a recording OpenAI-compatible endpoint on loopback.
 *
 * Host: the Electron build through @vscode/test-electron when VSCODE_EXECUTABLE_PATH is set
 * (or ORG_POLICY_VSCODE_DOWNLOAD=1 allows a download); otherwise the offline host — code-server's
 * VS Code server from the npm registry, driven by headless Chromium (shared/vscode-host.md).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import * as esbuild from 'esbuild';
import type { Frame, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { FakeEndpoint } from '../support/fake-endpoint';
import { ADMIN, bearer, jsonOf, startService, type RunningService } from '../support/service';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { TestBrowser } from '../support/sso-browser';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';

const root = join(__dirname, '..', '..');
const artifacts = join(root, 'test-results');
const HOST_TIMEOUT_MS = Number(process.env.ORG_POLICY_INTEGRATION_TIMEOUT_MS ?? 300_000);
const MEMBER = { email: 'dev@acme.example', password: 'pw-dev@acme.example-long-enough' };
/**
 * `--packaged`: the host installs the production .vsix as a member would (`--install-extension`) and
 * runs the part of the member's day that shows what ships works; the test consumer is the
 * development extension then, so the installed package is the one under test.
 */
const PACKAGED = process.argv.includes('--packaged');
const PACKAGED_GREP = [
	'activates;',
	'signs in with the device flow',
	"applies the admin's policy",
	'sends a chat completion',
	'offers another extension',
	"streams another extension's request",
	'completes a tool round trip',
	'loads Entra ID support',
	'the packaged extension, as members install it',
]
	.map((title) => title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
	.join('|');

/** Builds the production package, as members get it (scripts/package.mjs). */
function packageExtension(): string {
	const built = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, encoding: 'utf8' });
	if (built.status !== 0) {
		throw new Error(`could not package the extension: ${built.stderr || built.stdout}`);
	}
	return join(root, 'dist-vsix', 'org-provider-policy.vsix');
}

function log(message: string): void {
	console.log(`[integration] ${message}`);
}

/** Bundles code that runs in the extension host, where `vscode` (and the host's mocha) are provided. */
async function bundleForHost(entryPoints: Record<string, string>, outdir: string, external: string[]): Promise<void> {
	await esbuild.build({
		entryPoints,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node22',
		outdir,
		external,
		sourcemap: 'inline',
		logLevel: 'warning',
	});
}

async function buildSuite(): Promise<string> {
	const outdir = join(root, 'out', 'integration');
	await bundleForHost({ index: join(root, 'test/integration/suite/index.ts') }, outdir, ['vscode', 'mocha']);
	return join(outdir, 'index');
}

/**
 * The stand-in for Cline's "VS Code LM API" provider, built and packaged as a .vsix so the host
 * loads it beside the extension under test, as a member's VS Code would.
 */
async function buildConsumer(): Promise<{ dir: string; vsix: string }> {
	const dir = join(root, 'out', 'lm-consumer');
	rmSync(dir, { recursive: true, force: true });
	await bundleForHost({ extension: join(root, 'test/integration/lm-consumer/extension.ts') }, dir, ['vscode']);
	copyFileSync(join(root, 'test/integration/lm-consumer/package.json'), join(dir, 'package.json'));
	writeFileSync(join(dir, 'README.md'), '# Language Model consumer (test)\n');
	const vsix = join(root, 'out', 'lm-consumer.vsix');
	const packaged = spawnSync(
		process.execPath,
		[
			join(root, 'node_modules/@vscode/vsce/vsce'),
			'package',
			'--no-dependencies',
			'--allow-missing-repository',
			'--skip-license',
			'--out',
			vsix,
		],
		{ cwd: dir, encoding: 'utf8' },
	);
	if (packaged.status !== 0) {
		throw new Error(`could not package the consumer extension: ${packaged.stderr || packaged.stdout}`);
	}
	return { dir, vsix };
}

async function readBody(request: IncomingMessage): Promise<string> {
	let body = '';
	for await (const chunk of request) {
		body += String(chunk);
	}
	return body;
}

interface World {
	service: RunningService | undefined;
	servicePort: number;
	dataDir: string;
	endpoint: FakeEndpoint;
	stats: { passed: number; failed: number; skipped: number } | undefined;
	page: Page | undefined;
	/** The organization's identity provider (oidc-provider on loopback), for the single sign-on test. */
	idp: TestIdentityProvider;
}

async function startWorld(): Promise<{ world: World; env: Record<string, string>; control: Server }> {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-integration-db-'));
	const servicePort = await freePort();
	const service = await startService({ dataDir, port: servicePort });
	await service.addUser(MEMBER.email, 'member');
	const admin = await service.signIn(ADMIN.email);
	const token = (
		await jsonOf(
			await fetch(`${service.url}/api/v1/admin/tokens`, {
				method: 'POST',
				headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
				body: '{"label":"integration"}',
			}),
		)
	).token as string;
	const endpoint = await FakeEndpoint.start();
	const idp = await startIdentityProvider([`${service.url}/console/sso/callback`]);
	const ssoSaved = await saveSsoSettings(await adminConsole(service), service, idp.settings());
	if (ssoSaved.status !== 200) {
		throw new Error(`could not set up single sign-on: ${ssoSaved.text}`);
	}
	const world: World = { service, servicePort, dataDir, endpoint, stats: undefined, page: undefined, idp };

	const control = createServer((request, response) => {
		const reply = (status: number, body: unknown) =>
			response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
		void (async () => {
			try {
				switch (`${request.method} ${request.url}`) {
					case 'GET /endpoint/requests':
						return reply(200, world.endpoint.requests);
					case 'POST /endpoint/behaviour':
						world.endpoint.behaviour = JSON.parse(await readBody(request));
						return reply(200, {});
					case 'POST /service/stop':
						await world.service?.close();
						world.service = undefined;
						log('policy service stopped');
						return reply(200, {});
					case 'POST /service/start':
						world.service = await startService({ dataDir: world.dataDir, port: world.servicePort });
						log('policy service started again');
						return reply(200, {});
					case 'POST /stats':
						world.stats = JSON.parse(await readBody(request));
						return reply(200, {});
					case 'POST /ui-check':
						return reply(200, world.page ? await uiCheck(world.page) : { skipped: 'the Electron host has no browser page to drive' });
					case 'POST /ui-message':
						return reply(
							200,
							world.page
								? await uiMessage(world.page, JSON.parse(await readBody(request)))
								: { skipped: 'the Electron host has no browser page to drive' },
						);
					case 'POST /sso-approve': {
						const { userCode, person } = JSON.parse(await readBody(request)) as { userCode: string; person: string };
						return reply(200, await ssoApprove(world, userCode, person));
					}
					case 'POST /ui-chat-error':
						return reply(200, world.page ? await uiChatError(world.page) : { skipped: 'the Electron host has no browser page to drive' });
					case 'POST /ui-status-click':
						if (!world.page) {
							return reply(200, { skipped: 'the Electron host has no browser page to drive' });
						}
						await world.page.locator('.statusbar-item[aria-label*="Org Provider Policy"]').first().click();
						return reply(200, { ok: true });
					default:
						return reply(404, { error: 'unknown control request' });
				}
			} catch (error) {
				return reply(500, { error: String(error) });
			}
		})();
	});
	await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
	const bootstrap = join(dataDir, 'bootstrap.json');
	// The managed bootstrap file, as IT would deploy it.
	writeFileSync(bootstrap, JSON.stringify({ serverUrl: service.url, organization: 'acme' }));
	const env = {
		ORG_POLICY_TEST_CONTROL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
		ORG_POLICY_TEST_SERVICE: service.url,
		ORG_POLICY_TEST_ENDPOINT: endpoint.url,
		ORG_POLICY_TEST_ADMIN_TOKEN: token,
		ORG_POLICY_TEST_MEMBER_EMAIL: MEMBER.email,
		ORG_POLICY_TEST_MEMBER_PASSWORD: MEMBER.password,
		ORG_PROVIDER_POLICY_BOOTSTRAP: bootstrap,
		// Entra ID's device-code credential talks to this authority: a closed loopback port, so the
		// chain fails here without any traffic beyond this machine.
		AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9',
		...(PACKAGED ? { ORG_POLICY_INTEGRATION_PACKAGED: '1', ORG_POLICY_INTEGRATION_GREP: PACKAGED_GREP } : {}),
	};
	return { world, env, control };
}

/**
 * Approves a VS Code sign-in as a member whose organization signs in through its identity provider:
 * the device page's "Sign in with …", the provider's sign-in page, back to the approval, Approve.
 * In Chromium when the host runs in it (with a screenshot), over HTTP for the Electron host.
 */
async function ssoApprove(world: World, userCode: string, person: string): Promise<{ ok: boolean; detail: string }> {
	const service = world.service!;
	const deviceUrl = `${service.url}/device?user_code=${encodeURIComponent(userCode)}`;
	const browser = world.page?.context().browser();
	if (!browser) {
		const http = new TestBrowser();
		const signedIn = await http.signInWithSso(service.url, person, { purpose: 'device', userCode });
		const approved = await http.submit(deviceUrl, '/device', { user_code: userCode, action: 'approve' });
		return { ok: signedIn.status === 200 && approved.response.status === 200, detail: (await approved.response.text()).slice(0, 300) };
	}
	const context = await browser.newContext();
	try {
		const page = await context.newPage();
		await page.goto(deviceUrl);
		await page.click('#sso-sign-in');
		await page.waitForURL((url) => url.origin === world.idp.issuer);
		await page.fill('#idp-login', person);
		await page.fill('#idp-password', 'anything');
		await page.click('#idp-submit');
		await page.waitForSelector('#signed-in-as');
		await page.click('#approve');
		const result = (await page.locator('#device-result').textContent({ timeout: 10_000 })) ?? '';
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-sso-device-approved.png') });
		return { ok: /Approved/.test(result), detail: result };
	} catch (error) {
		return { ok: false, detail: String(error) };
	} finally {
		await context.close();
	}
}

/** Drives the real workbench once: open the chat view, send a message, read the answer, badge and status bar. */
async function uiCheck(page: Page): Promise<{ ok: boolean; detail: string }> {
	try {
		const chat = await openChat(page);
		// Who manages the provider has its own full-width row; the badge stays short enough to read whole.
		const managed = chat.locator('#managed-label').filter({ hasText: 'Managed by Acme Corp' });
		await managed.waitFor({ timeout: 10_000 });
		const badge = (await chat.locator('#badge-label').textContent()) ?? '';
		const cut = await chat
			.locator('#badge-label, #managed-label')
			.evaluateAll((elements) => elements.filter((element) => element.scrollWidth > element.clientWidth + 1).map((element) => element.id));
		const lockIcon = await chat.locator('#badge-icon').getAttribute('class');
		await chat.locator('#input').fill('Hello from the workbench');
		await chat.locator('#input').press('Enter');
		await chat.locator('.entry.assistant .body').filter({ hasText: 'Hello from the endpoint ✓' }).last().waitFor({ timeout: 20_000 });
		const status = page.locator('.statusbar-item[aria-label*="Org Provider Policy"]').first();
		await status.waitFor({ timeout: 10_000 });
		const statusLabel = (await status.getAttribute('aria-label')) ?? '';
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-view.png') });
		const ok =
			/codicon-lock/.test(lockIcon ?? '') &&
			badge === 'OpenAI Compatible' &&
			cut.length === 0 &&
			/Acme Corp/.test(statusLabel) &&
			/in sync/.test(statusLabel);
		return {
			ok,
			detail: `badge: ${badge} (${lockIcon}); cut off: ${cut.join(', ') || 'nothing'}; managed row: ${await managed.textContent()}; status bar: ${statusLabel}`,
		};
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-view-failed.png') }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/**
 * Waits for a notification toast or a modal dialog that says `contains`, screenshots the workbench
 * into test-results/, and clicks one of its buttons if asked: what a member sees, and does.
 */
async function uiMessage(
	page: Page,
	wanted: { kind: 'notification' | 'dialog'; contains: string; screenshot: string; click?: string },
): Promise<{ ok: boolean; text?: string; detail?: string }> {
	const box = page
		.locator(wanted.kind === 'dialog' ? '.monaco-dialog-box' : '.notification-toast')
		.filter({ hasText: wanted.contains })
		.first();
	try {
		await box.waitFor({ timeout: 15_000 });
		// Toasts slide in: let the animation end so the screenshot shows what the member reads.
		await page.waitForTimeout(500);
		const text = await box.innerText();
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, wanted.screenshot) });
		if (wanted.click) {
			await box.getByRole('button', { name: wanted.click }).first().click();
		}
		return { ok: true, text };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, wanted.screenshot.replace(/\.png$/, '-failed.png')) }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/**
 * A message the endpoint refuses, in the chat view: the error's action buttons, and *Set API Key*
 * opening the key prompt. Returns the buttons' labels and what the prompt asked.
 */
async function uiChatError(page: Page): Promise<{ ok: boolean; buttons?: string[]; error?: string; prompt?: string; detail?: string }> {
	try {
		const chat = await openChat(page);
		await chat.locator('#input').fill('This one the endpoint refuses');
		await chat.locator('#input').press('Enter');
		const actions = chat.locator('.entry .error-actions').last();
		await actions.waitFor({ timeout: 20_000 });
		const buttons = await actions.locator('button').allTextContents();
		const error = (await chat.locator('.entry .error').last().textContent()) ?? '';
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-error-actions.png') });
		await actions.locator('button.action-setApiKey').click();
		const prompt = page.locator('.quick-input-widget');
		await prompt.waitFor({ state: 'visible', timeout: 10_000 });
		const asked = (await prompt.innerText()).trim();
		await page.screenshot({ path: join(artifacts, 'integration-chat-set-api-key.png') });
		await page.keyboard.press('Escape');
		return { ok: true, buttons, error: error.trim(), prompt: asked };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-error-actions-failed.png') }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/** Opens the chat view from the command palette, as a member does, and returns its document. */
async function openChat(page: Page): Promise<Frame> {
	await page.keyboard.press('F1');
	await page.keyboard.type('Org Provider Policy: Open Chat');
	await page.waitForTimeout(300);
	await page.keyboard.press('Enter');
	return chatFrame(page);
}

/** The chat view's document: webviews are nested frames, found by what they contain. */
async function chatFrame(page: Page): Promise<Frame> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		for (const frame of page.frames()) {
			if (await frame.$('#badge-label').catch(() => null)) {
				return frame;
			}
		}
		await page.waitForTimeout(200);
	}
	throw new Error('the chat view did not open');
}

async function runOffline(
	suitePath: string,
	consumer: { dir: string; vsix: string },
	env: Record<string, string>,
	world: World,
): Promise<number> {
	const { installHost } = (await import('../../scripts/vscode-host.mjs')) as { installHost: () => string };
	const codeServer = installHost();
	const port = await freePort();
	const home = mkdtempSync(join(tmpdir(), 'opp-integration-home-'));
	const logs = join(artifacts, 'integration-logs');
	mkdirSync(logs, { recursive: true });
	const folder = join(home, 'workspace');
	mkdirSync(folder, { recursive: true });
	const configFile = join(home, 'config.yaml');
	writeFileSync(configFile, 'auth: none\ncert: false\n');
	log(
		`host: offline (code-server ${codeServer.split('/').slice(-3, -2)[0] ?? ''} with VS Code's server, headless Chromium) on port ${port}`,
	);
	const hostEnv = { ...process.env, ...env, HOME: home, EXTENSIONS_GALLERY: '{}' };
	// The consumer is installed as a member's assistant would be; in the packaged run, ours is instead.
	for (const vsix of PACKAGED ? [packageExtension()] : [consumer.vsix]) {
		const installed = spawnSync(
			process.execPath,
			[
				join(codeServer, 'out', 'node', 'entry.js'),
				'--extensions-dir',
				join(home, 'extensions'),
				'--user-data-dir',
				join(home, 'data'),
				'--install-extension',
				vsix,
			],
			{ env: hostEnv, encoding: 'utf8' },
		);
		if (installed.status !== 0) {
			throw new Error(`could not install ${vsix}: ${installed.stderr || installed.stdout}`);
		}
	}
	const server: ChildProcess = spawn(
		process.execPath,
		[
			join(codeServer, 'out', 'node', 'entry.js'),
			'--auth',
			'none',
			'--bind-addr',
			`127.0.0.1:${port}`,
			'--disable-telemetry',
			'--disable-update-check',
			'--disable-workspace-trust',
			'--user-data-dir',
			join(home, 'data'),
			'--extensions-dir',
			join(home, 'extensions'),
			'--config',
			configFile,
			folder,
		],
		{ env: hostEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let serverLog = '';
	server.stdout?.on('data', (chunk) => (serverLog += String(chunk)));
	server.stderr?.on('data', (chunk) => (serverLog += String(chunk)));
	const browser = await launchChromium();
	const hostLog: string[] = [];
	try {
		const base = `http://127.0.0.1:${port}`;
		for (let attempt = 0; ; attempt++) {
			const healthy = await fetch(`${base}/healthz`)
				.then((response) => response.ok)
				.catch(() => false);
			if (healthy) {
				break;
			}
			if (attempt > 300 || server.exitCode !== null) {
				throw new Error(`code-server did not start:\n${serverLog}`);
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		world.page = page;
		const exit = new Promise<number>((resolve) => {
			void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
		});
		await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
			// Arguments arrive as console.log gave them (format string first).
			const line = format(...(Array.isArray(args) ? args : [args]));
			hostLog.push(`[${level}] ${line}`);
			console.log(line);
		});
		const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
		const payload = JSON.stringify([
			['extensionDevelopmentPath', remote(PACKAGED ? consumer.dir : root)],
			['extensionTestsPath', remote(suitePath)],
		]);
		await page.goto(`${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
		let timer: NodeJS.Timeout | undefined;
		const code = await Promise.race([
			exit,
			new Promise<number>((resolve) => {
				timer = setTimeout(() => {
					console.error(`[integration] the extension host did not finish within ${HOST_TIMEOUT_MS / 1000} s; logs kept in ${logs}`);
					resolve(124);
				}, HOST_TIMEOUT_MS);
			}),
		]).finally(() => clearTimeout(timer));
		if (code !== 0) {
			await page.screenshot({ path: join(artifacts, 'integration-host-at-exit.png') }).catch(() => undefined);
		}
		return code;
	} finally {
		writeFileSync(join(logs, 'code-server.log'), serverLog);
		writeFileSync(join(logs, 'extension-host.log'), hostLog.join('\n'));
		world.page = undefined;
		await browser.close().catch(() => undefined);
		try {
			process.kill(-server.pid!, 'SIGTERM');
		} catch {
			// already gone
		}
		rmSync(home, { recursive: true, force: true });
	}
}

async function runElectron(suitePath: string, consumer: { dir: string }, env: Record<string, string>): Promise<number> {
	if (!process.env.DISPLAY && process.platform === 'linux' && !process.env.ORG_POLICY_UNDER_XVFB) {
		log('no display: re-running under xvfb-run');
		const result = spawnSync('xvfb-run', ['-a', process.execPath, ...process.execArgv, __filename], {
			stdio: 'inherit',
			env: { ...process.env, ORG_POLICY_UNDER_XVFB: '1' },
		});
		return result.status ?? 1;
	}
	const { runTests } = await import('@vscode/test-electron');
	const userData = mkdtempSync(join(tmpdir(), 'opp-electron-'));
	log(`host: Electron (${process.env.VSCODE_EXECUTABLE_PATH ?? 'downloaded VS Code'})`);
	try {
		return await runTests({
			...(process.env.VSCODE_EXECUTABLE_PATH ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH } : {}),
			extensionDevelopmentPath: [root, consumer.dir],
			extensionTestsPath: suitePath,
			extensionTestsEnv: env,
			launchArgs: [
				'--disable-extensions',
				'--disable-workspace-trust',
				'--user-data-dir',
				userData,
				'--skip-welcome',
				'--skip-release-notes',
			],
		});
	} catch {
		return 1;
	} finally {
		rmSync(userData, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	const electron = Boolean(process.env.VSCODE_EXECUTABLE_PATH) || process.env.ORG_POLICY_VSCODE_DOWNLOAD === '1';
	if (PACKAGED && electron) {
		throw new Error('--packaged runs in the offline host (it installs the .vsix into code-server); unset VSCODE_EXECUTABLE_PATH');
	}
	if (!existsSync(join(root, 'dist', 'extension.js'))) {
		throw new Error('dist/extension.js is missing: run npm run build first');
	}
	const suitePath = await buildSuite();
	const consumer = await buildConsumer();
	const { world, env, control } = await startWorld();
	let code: number;
	try {
		code = electron ? await runElectron(suitePath, consumer, env) : await runOffline(suitePath, consumer, env, world);
	} finally {
		await world.service?.close().catch(() => undefined);
		await world.endpoint.close();
		await world.idp.close();
		control.close();
		rmSync(world.dataDir, { recursive: true, force: true });
	}
	const stats = world.stats ?? { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
	if (process.env.TEST_STATS_FILE) {
		writeFileSync(process.env.TEST_STATS_FILE, JSON.stringify(stats));
	}
	log(
		`extension host exited with ${code}: ${stats.passed} passed, ${stats.failed} failed${stats.skipped ? `, ${stats.skipped} skipped` : ''}`,
	);
	process.exit(code === 0 && stats.failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
	console.error('[integration] launcher failed:', error);
	process.exit(1);
});
