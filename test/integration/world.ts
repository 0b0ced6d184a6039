/**
 * The world the extension host talks to: the policy service, the recording endpoint, the identity
 * provider, and the control server through which the suite drives them and the workbench.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { FakeEndpoint } from '../support/fake-endpoint';
import { ADMIN, bearer, jsonOf, startService, type RunningService } from '../support/service';
import { freePort } from '../support/free-port';
import { startIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { adminConsole, saveSsoSettings } from '../support/sso-setup';
import { startTokenGateway, type TokenGateway } from '../support/token-gateway';
import { startInTheWay, type InTheWay } from '../support/in-the-way';

import { filesHolding } from './stored-secrets';
import { FIRST_RUN, MEMBER, PACKAGED, PACKAGED_GREP, UPGRADE, log } from './harness';
import {
	type ChatErrorScenario,
	consoleUsage,
	ssoApprove,
	uiChangePassword,
	uiThinking,
	uiEffort,
	uiChatAccessibility,
	uiChatError,
	uiCopyCode,
	uiCheck,
	uiDraftWhileAnswering,
	uiFirstRun,
	uiMessage,
	uiSettingShown,
	uiStatusHover,
	uiStatusItem,
	uiUndoClear,
	uiVsCodeChat,
	uiWaitingForAnswer,
} from './ui-driver';

async function readBody(request: IncomingMessage): Promise<string> {
	let body = '';
	for await (const chunk of request) {
		body += String(chunk);
	}
	return body;
}

/** What a hotel's or a conference's network shows before it lets anyone through. */
const PORTAL_PAGE =
	'<html><head><title>Guest Wi-Fi</title></head><body><form>Accept the terms to use the guest network</form></body></html>';

export interface World {
	service: RunningService | undefined;
	servicePort: number;
	dataDir: string;
	endpoint: FakeEndpoint;
	stats: { passed: number; failed: number; skipped: number; failures?: { title: string; message: string }[] } | undefined;
	page: Page | undefined;
	/** The organization's identity provider (oidc-provider on loopback), for the single sign-on test. */
	idp: TestIdentityProvider;
	/** Apache with mod_auth_openidc in front of the endpoint, once the organization-token test starts it. */
	gateway?: TokenGateway;
	/** A network sign-in page answering on the service's port in its place, while the service is stopped. */
	portal?: InTheWay;
	/** What one start of VS Code leaves for the next (the upgrade run: the revisions 0.2.0 saw). */
	remembered: Record<string, unknown>;
}

export async function startWorld(): Promise<{ world: World; env: Record<string, string>; control: Server }> {
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
	const adminBrowser = await adminConsole(service);
	const ssoSaved = await saveSsoSettings(adminBrowser, service, idp.settings());
	if (ssoSaved.status !== 200) {
		throw new Error(`could not set up single sign-on: ${ssoSaved.text}`);
	}
	// The button is offered only after a Test sign-in passes, as an admin sets it up.
	const tested = await adminBrowser.signInWithSso(service.url, 'alice@acme.test', { purpose: 'test' });
	if (!tested.text.includes('id="sso-tested"')) {
		throw new Error(`the Test sign-in did not pass: ${tested.text.slice(0, 500)}`);
	}
	const world: World = { service, servicePort, dataDir, endpoint, stats: undefined, page: undefined, idp, remembered: {} };

	const control = createServer((request, response) => {
		const reply = (status: number, body: unknown) =>
			response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
		/** A step in the workbench's page with the request's JSON body; the Electron host has no page, so it is skipped there. */
		const onPage = async <T>(step: (page: Page, body: T) => Promise<unknown>) => {
			const body = JSON.parse((await readBody(request)) || '{}') as T;
			return reply(200, world.page ? await step(world.page, body) : { skipped: 'the Electron host has no browser page to drive' });
		};
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
					case 'POST /service/portal':
						await world.service?.close();
						world.service = undefined;
						world.portal = await startInTheWay({
							status: 200,
							type: 'text/html; charset=utf-8',
							body: PORTAL_PAGE,
							port: world.servicePort,
						});
						log('a network sign-in page answers in place of the policy service');
						return reply(200, {});
					case 'POST /service/start':
						await world.portal?.close();
						world.portal = undefined;
						world.service = await startService({ dataDir: world.dataDir, port: world.servicePort });
						log('policy service started again');
						return reply(200, {});
					case 'POST /gateway/start': {
						const { audience } = JSON.parse(await readBody(request)) as { audience: string };
						await world.gateway?.close();
						world.gateway = await startTokenGateway({ serviceUrl: world.service!.url, endpointUrl: world.endpoint.url, audience });
						return reply(200, { url: world.gateway.url });
					}
					case 'POST /remember':
						Object.assign(world.remembered, JSON.parse(await readBody(request)));
						return reply(200, {});
					case 'GET /remembered':
						return reply(200, world.remembered);
					case 'POST /stats': {
						// Added up: the upgrade run reports once per VS Code start.
						const reported = JSON.parse(await readBody(request)) as NonNullable<World['stats']>;
						const sum = (world.stats ??= { passed: 0, failed: 0, skipped: 0 });
						sum.passed += reported.passed;
						sum.failed += reported.failed;
						sum.skipped += reported.skipped;
						if (reported.failures?.length) {
							(sum.failures ??= []).push(...reported.failures);
						}
						return reply(200, {});
					}
					case 'POST /ui-check':
						return onPage<{ expectDivider?: boolean }>((page, expected) => uiCheck(page, expected));
					case 'POST /ui-change-password':
						return onPage<{ email: string }>((page, wanted) => uiChangePassword(page, wanted));
					case 'POST /ui-undo-clear':
						return onPage(uiUndoClear);
					case 'POST /ui-copy-code':
						return onPage<{ question: string }>((page, wanted) => uiCopyCode(page, wanted));
					case 'POST /ui-effort':
						return onPage<Parameters<typeof uiEffort>[1]>((page, wanted) => uiEffort(page, wanted));
					case 'POST /ui-thinking':
						return onPage<{ question: string; thought: string; answer: string }>((page, wanted) => uiThinking(page, wanted));
					case 'POST /ui-waiting-for-answer':
						return onPage<{ model: string }>((page, wanted) => uiWaitingForAnswer(page, wanted));
					case 'POST /ui-draft-while-answering':
						return onPage(uiDraftWhileAnswering);
					case 'POST /ui-message':
						return onPage<Parameters<typeof uiMessage>[1]>((page, wanted) => uiMessage(page, wanted));
					case 'POST /sso-approve': {
						const { userCode, person } = JSON.parse(await readBody(request)) as { userCode: string; person: string };
						return reply(200, await ssoApprove(world, userCode, person));
					}
					case 'POST /service/holds': {
						// Which of the service's files (database, WAL) hold this text: the privacy promise, checked on disk.
						return reply(200, { files: filesHolding(world.dataDir, await readBody(request)) });
					}
					case 'POST /console-usage':
						return reply(200, await consoleUsage(world.service!, world.page));
					case 'POST /ui-first-run':
						return onPage<{ invitationLink: string }>((page, { invitationLink }) => uiFirstRun(page, invitationLink));
					case 'POST /ui-setting':
						return onPage<{ title: string; screenshot: string }>((page, { title, screenshot }) => uiSettingShown(page, title, screenshot));
					case 'POST /ui-chat-error':
						return onPage<ChatErrorScenario>((page, scenario) => uiChatError(page, scenario));
					case 'POST /ui-chat-a11y':
						return onPage<{ screenshot: string; theme?: 'light' | 'dark' }>((page, { screenshot, theme }) =>
							uiChatAccessibility(page, screenshot, theme),
						);
					case 'POST /ui-status-hover':
						return onPage<{ screenshot: string }>((page, { screenshot }) => uiStatusHover(page, screenshot));
					case 'POST /ui-status':
						return onPage<{ screenshot: string }>((page, { screenshot }) => uiStatusItem(page, screenshot));
					case 'POST /ui-vscode-chat':
						return onPage<{ screenshot: string }>((page, { screenshot }) => uiVsCodeChat(page, screenshot));
					case 'POST /ui-status-click':
						return onPage(async (page) => {
							await page.locator('.statusbar-item[aria-label*="Org Provider Policy"]').first().click();
							return { ok: true };
						});
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
		// A first run has no bootstrap file, nor its folder: IT deploys both while VS Code is open.
		ORG_PROVIDER_POLICY_BOOTSTRAP: FIRST_RUN ? join(dataDir, 'it-managed', 'bootstrap.json') : bootstrap,
		...(FIRST_RUN ? { ORG_POLICY_INTEGRATION_FIRST_RUN: '1' } : {}),
		// Entra ID's device-code credential talks to this authority: a closed loopback port, so the
		// chain fails here without any traffic beyond this machine.
		AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9',
		...(PACKAGED ? { ORG_POLICY_INTEGRATION_PACKAGED: '1', ORG_POLICY_INTEGRATION_GREP: PACKAGED_GREP } : {}),
		// The upgrade run's launcher adds which start this is (ORG_POLICY_INTEGRATION_UPGRADE: before or after).
		...(UPGRADE ? { ORG_POLICY_INTEGRATION_UPGRADE: 'before' } : {}),
	};
	return { world, env, control };
}

/** A check the launcher makes itself, after the extension host's tests: counted and reported with them. */
export function countOutsideHost(
	world: World,
	title: string,
	result: { ok: boolean; detail: string },
	suite = "a member's day with Org Provider Policy",
): void {
	const stats = (world.stats ??= { passed: 0, failed: 0, skipped: 0 });
	if (result.ok) {
		stats.passed++;
		console.log(`    ✔ ${title}`);
	} else {
		stats.failed++;
		(stats.failures ??= []).push({ title: `${suite} ${title}`, message: result.detail });
		console.log(`    ✗ ${title}: ${result.detail}`);
	}
}
