/**
 * The workbench as a member sees it, driven in Chromium: the chat view, notices and dialogs, and
 * approving a sign-in in the browser.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { axeFindings } from '../support/axe';
import { launchChromium } from '../support/chromium';
import { TestBrowser } from '../support/sso-browser';

import { artifacts } from './harness';
import { ADMIN, type RunningService } from '../support/service';
import type { TestIdentityProvider } from '../support/identity-provider';

/**
 * Approves a VS Code sign-in as a member whose organization signs in through its identity provider:
 * the device page's "Sign in with …", the provider's sign-in page, back to the approval, Approve.
 * In Chromium when the host runs in it (with a screenshot), over HTTP for the Electron host.
 */
export async function ssoApprove(
	world: { service: RunningService | undefined; page: Page | undefined; idp: TestIdentityProvider },
	userCode: string,
	person: string,
): Promise<{ ok: boolean; detail: string }> {
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

/** What differed from what a member expects, collected so that one run names every difference. */
function expectations(): { differed: string[]; expect: (what: string, seen: unknown, wanted: unknown) => void } {
	const differed: string[] = [];
	return {
		differed,
		expect: (what, seen, wanted) => {
			if (seen !== wanted) {
				differed.push(`${what}: ${JSON.stringify(seen)}`);
			}
		},
	};
}

/** Drives the real workbench once: open the chat view, send a message, read the answer, badge and status bar. */
export async function uiCheck(page: Page, expected: { expectDivider?: boolean } = {}): Promise<{ ok: boolean; detail: string }> {
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
		// The endpoint moved earlier in the day: the transcript marks where the context starts again (#28 item 7).
		const dividers = chat.locator('.entry.divider');
		const divider = (await dividers.count()) ? ((await dividers.last().textContent()) ?? '') : '';
		// This message's answer, not an earlier one of the day's transcript.
		const answered = await chat.locator('.entry.assistant').count();
		await chat.locator('#input').fill('Hello from the workbench');
		await chat.locator('#input').press('Enter');
		// The question first, so a failure says whether it was sent at all or went unanswered.
		await chat.locator('.entry.user').last().filter({ hasText: 'Hello from the workbench' }).waitFor({ timeout: 10_000 });
		await chat
			.locator('.entry.assistant')
			.nth(answered)
			.locator('.body')
			.filter({ hasText: 'Hello from the endpoint ✓' })
			.waitFor({ timeout: 20_000 });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 20_000 });
		// A screen reader hears the whole answer once it is done, as in VS Code's own chat.
		await chat
			.locator('#announcer')
			.filter({ hasText: /^Hello from the endpoint ✓$/ })
			.waitFor({ state: 'attached', timeout: 5_000 });
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
			/in sync/.test(statusLabel) &&
			(expected.expectDivider
				? /The endpoint changed to 127\.0\.0\.1:\d+: the messages above are not sent to it\./.test(divider)
				: divider === '');
		return {
			ok,
			detail: `divider: ${divider || 'none'}; badge: ${badge} (${lockIcon}); cut off: ${cut.join(', ') || 'nothing'}; managed row: ${await managed.textContent()}; status bar: ${statusLabel}`,
		};
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-view-failed.png') }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/**
 * Questions the chat view cannot send yet are kept, not lost: one longer than a message may be
 * (with why), and one typed while an answer still streams (the extension answers one at a time),
 * also when the view is hidden and shown again; Enter sends it once the answer is done. The
 * endpoint is slowed by the test first. Returns which of these differed from what a member expects.
 */
export async function uiDraftWhileAnswering(page: Page): Promise<{ ok: boolean; detail: string }> {
	const draft = 'Typed while the answer streams';
	const { differed, expect } = expectations();
	try {
		let chat = await openChat(page);
		const input = () => chat.locator('#input');
		const sentCount = (text: string) => chat.locator('.entry.user').filter({ hasText: text }).count();

		// Longer than one message may be (a pasted log, say): kept in the box, with why, and nothing sent.
		const entries = await chat.locator('.entry').count();
		await input().fill('x'.repeat(500_001));
		await input().press('Enter');
		expect(
			'note on a message too long',
			await chat.locator('#composer-note').textContent({ timeout: 5_000 }),
			'This message is 500,001 characters long; the most one message can be is 500,000. Shorten it to send it.',
		);
		expect('characters kept', (await input().inputValue()).length, 500_001);
		await page.waitForTimeout(300);
		expect('entries added for it', (await chat.locator('.entry').count()) - entries, 0);

		await input().fill('A slow answer, please');
		await input().press('Enter');
		expect('note once sent', await chat.locator('#composer-note').isHidden(), true);
		await chat.locator('#stop').waitFor({ state: 'visible', timeout: 10_000 });
		await input().fill(draft);
		await input().press('Enter');
		expect('box while answering', await input().inputValue(), draft);
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-draft-while-answering.png') });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 30_000 });
		expect('sent while answering', await sentCount(draft), 0);

		// Another view in the side bar discards the chat view's document; the draft comes back with it.
		await runFromPalette(page, 'View: Show Explorer');
		chat = await openChat(page);
		expect('box after the view was hidden', await input().inputValue(), draft);
		await input().press('Enter');
		await chat.locator('.entry.user').last().filter({ hasText: draft }).waitFor({ timeout: 10_000 });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 30_000 });
		expect('times sent', await sentCount(draft), 1);
		expect('box once sent', await input().inputValue(), '');
		return { ok: differed.length === 0, detail: differed.join('; ') || 'as expected' };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-draft-failed.png') }).catch(() => undefined);
		return { ok: false, detail: [...differed, String(error)].join('; ') };
	}
}

/**
 * *New conversation* empties the chat view, which then offers to bring it back; *Undo* does, every
 * entry as it was (the rest of the day's checks read them again).
 */
export async function uiUndoClear(page: Page): Promise<{ ok: boolean; detail: string }> {
	const { differed, expect } = expectations();
	try {
		const chat = await openChat(page);
		const texts = () => chat.locator('.entry').allTextContents();
		const before = await texts();
		await chat.getByRole('button', { name: 'New conversation' }).click();
		await chat.locator('#cleared').waitFor({ state: 'visible', timeout: 10_000 });
		expect('entries once cleared', await chat.locator('.entry').count(), 0);
		expect('offer', (await chat.locator('#cleared').textContent())?.trim(), 'Conversation cleared. Undo');
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-cleared.png') });
		await chat.getByRole('button', { name: 'Undo' }).click();
		await chat.locator('#cleared').waitFor({ state: 'hidden', timeout: 10_000 });
		expect('entries brought back', JSON.stringify(await texts()), JSON.stringify(before));
		expect('entries before', before.length > 0, true);
		return { ok: differed.length === 0, detail: differed.join('; ') || 'as expected' };
	} catch (error) {
		return { ok: false, detail: [...differed, String(error)].join('; ') };
	}
}

/**
 * An answer that has not begun (the endpoint is made to hold it by the test): the chat view says it
 * is waiting for the model instead of showing an empty answer; Stop ends the wait, marked Stopped.
 */
export async function uiWaitingForAnswer(page: Page, { model }: { model: string }): Promise<{ ok: boolean; detail: string }> {
	const { differed, expect } = expectations();
	try {
		const chat = await openChat(page);
		await chat.locator('#input').fill('An answer that takes its time');
		await chat.locator('#input').press('Enter');
		const answer = chat.locator('.entry.assistant').last();
		expect('while waiting', (await answer.locator('.waiting').textContent({ timeout: 10_000 }))?.trim(), `Waiting for ${model}…`);
		// What a screen reader is told (the transcript is not a live region: it would be read again whole).
		const announced = chat.locator('#announcer[role="status"]');
		await announced.filter({ hasText: `Waiting for ${model}…` }).waitFor({ state: 'attached', timeout: 5_000 });
		expect('transcript live', await chat.locator('#conversation').getAttribute('aria-live'), null);
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-waiting.png') });
		await chat.locator('#stop').click();
		expect('once stopped', await answer.locator('.stopped').textContent({ timeout: 10_000 }), 'Stopped.');
		expect('waiting once stopped', await answer.locator('.waiting').count(), 0);
		await announced.filter({ hasText: /^Stopped\.$/ }).waitFor({ state: 'attached', timeout: 5_000 });
		return { ok: differed.length === 0, detail: differed.join('; ') || 'as expected' };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-waiting-failed.png') }).catch(() => undefined);
		return { ok: false, detail: [...differed, String(error)].join('; ') };
	}
}

/**
 * A model whose reasoning effort the policy lets members pick: the chat view offers the allowed
 * efforts beside Send once that model is chosen, and the member's pick goes with the question
 * (the test reads the request). Back on a model without a set, the picker is gone.
 */
export async function uiEffort(
	page: Page,
	{ model, effort, efforts, plain, back }: { model: string; effort: string; efforts: string[]; plain: string; back: string },
): Promise<{ ok: boolean; detail: string }> {
	const { differed, expect } = expectations();
	try {
		const chat = await openChat(page);
		const picker = chat.locator('#effort');
		expect('picker before', await picker.isVisible(), false);
		await chat.locator('#model').selectOption(model);
		await picker.waitFor({ state: 'visible', timeout: 10_000 });
		expect('offered', (await picker.locator('option').allTextContents()).join(', '), efforts.join(', '));
		await picker.selectOption(effort);
		// The choice is the extension's to keep: it comes back in the next state message.
		await chat.locator(`#effort option[value="${effort}"]:checked`).waitFor({ state: 'attached', timeout: 5_000 });
		// This question's own answer, once done: Stop is hidden before the question is taken too.
		const answers = chat.locator('.entry.assistant');
		const before = await answers.count();
		await chat.locator('#input').fill('Think hard about this one');
		await chat.locator('#input').press('Enter');
		await answers.nth(before).locator('.body', { hasText: 'Hello from the endpoint' }).waitFor({ timeout: 20_000 });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 20_000 });
		expect('picked, after the answer', await picker.inputValue(), effort);
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-effort.png') });
		// A model not marked as reasoning gets no effort added: without a choice, its own default.
		await chat.locator('#model').selectOption(plain);
		await chat.locator('#effort option[value=""]:checked').waitFor({ state: 'attached', timeout: 10_000 });
		expect(
			'offered for a model not marked as reasoning',
			(await picker.locator('option').allTextContents()).join(', '),
			['default effort', ...efforts].join(', '),
		);
		await chat.locator('#model').selectOption(back);
		await picker.waitFor({ state: 'hidden', timeout: 10_000 });
		return { ok: differed.length === 0, detail: differed.join('; ') || 'as expected' };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-effort-failed.png') }).catch(() => undefined);
		return { ok: false, detail: [...differed, String(error)].join('; ') };
	}
}

/**
 * A reasoning model's answer whose thinking the endpoint streams first (the test makes it slow):
 * "Thinking…" shows open while the model thinks, folds away once the answer is done, and opens
 * again on a click, showing what the model thought. Screenshots of both.
 */
export async function uiThinking(
	page: Page,
	{ question, thought, answer }: { question: string; thought: string; answer: string },
): Promise<{ ok: boolean; detail: string }> {
	const { differed, expect } = expectations();
	try {
		const chat = await openChat(page);
		await chat.locator('#input').fill(question);
		await chat.locator('#input').press('Enter');
		const entry = chat.locator('.entry.assistant').last();
		const reasoning = entry.locator('details.reasoning');
		await reasoning.locator('summary', { hasText: 'Thinking…' }).waitFor({ timeout: 10_000 });
		expect('open while thinking', await reasoning.evaluate((details) => (details as { open?: boolean }).open), true);
		expect('waiting line while thinking', await entry.locator('.waiting').count(), 0);
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-thinking.png') });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 30_000 });
		expect('answer', (await entry.locator('.body').textContent())?.trim(), answer);
		expect('folded once answered', await reasoning.evaluate((details) => (details as { open?: boolean }).open), false);
		expect('summary once answered', (await reasoning.locator('summary').textContent())?.trim(), 'Thinking');
		await reasoning.locator('summary').click();
		expect('opened by a click', await reasoning.evaluate((details) => (details as { open?: boolean }).open), true);
		expect('what it thought', (await reasoning.locator('.reasoning-body').textContent())?.trim(), thought);
		await page.screenshot({ path: join(artifacts, 'integration-chat-thinking-done.png') });
		return { ok: differed.length === 0, detail: differed.join('; ') || 'as expected' };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-thinking-failed.png') }).catch(() => undefined);
		return { ok: false, detail: [...differed, String(error)].join('; ') };
	}
}

/**
 * An answer with a code block (the endpoint is made to send one by the test): the block has a Copy
 * button; the test then reads VS Code's clipboard. Returns the code block's text as shown.
 */
export async function uiCopyCode(page: Page, { question }: { question: string }): Promise<{ ok: boolean; detail: string; shown?: string }> {
	try {
		// VS Code in a browser writes its clipboard through the browser's.
		await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
		const chat = await openChat(page);
		await chat.locator('#input').fill(question);
		await chat.locator('#input').press('Enter');
		const block = chat.locator('.entry.assistant').last().locator('.code-block');
		await block.locator('code').waitFor({ timeout: 20_000 });
		await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 20_000 });
		const copy = block.getByRole('button', { name: 'Copy code' });
		await copy.click();
		await chat
			.locator('#announcer')
			.filter({ hasText: /^Copied\.$/ })
			.waitFor({ state: 'attached', timeout: 5_000 });
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-copy-code.png') });
		return { ok: true, detail: 'copied', shown: (await block.locator('code').textContent()) ?? '' };
	} catch (error) {
		return { ok: false, detail: String(error) };
	}
}

/**
 * VS Code opened again on the folder of the day (the extension without its tests): the chat view
 * shows the day's conversation, restored from the workspace's state. A screenshot beside it.
 */
export async function uiChatAfterReload(page: Page): Promise<{ ok: boolean; detail: string }> {
	try {
		await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
		// The side bar comes back as it was left, the chat view in it.
		const chat = await chatFrame(page);
		const questions = chat.locator('.entry.user');
		await questions.filter({ hasText: 'Hello from the workbench' }).first().waitFor({ timeout: 20_000 });
		const asked = (await questions.allTextContents()).map((text) => text.trim());
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-after-reload.png') });
		const wanted = ['Hello from the workbench', 'Typed while the answer streams', 'And again'];
		const missing = wanted.filter((question) => !asked.includes(question));
		return {
			ok: missing.length === 0,
			detail: `${missing.length ? `missing: ${missing.join(', ')}; ` : ''}questions shown: ${asked.join(' | ')}`,
		};
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-chat-after-reload-failed.png') }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/**
 * Waits for a notification toast or a modal dialog that says `contains`, screenshots the workbench
 * into test-results/, and clicks one of its buttons if asked: what a member sees, and does.
 */
export async function uiMessage(
	page: Page,
	wanted: { kind: 'notification' | 'dialog'; contains: string; screenshot: string; click?: string },
): Promise<{ ok: boolean; text?: string; detail?: string }> {
	// A notice is a toast, or an entry of the notification center where the test opened it (VS Code 1.139
	// keeps a window's notices there while it has no focus).
	const box = page
		.locator(wanted.kind === 'dialog' ? '.monaco-dialog-box' : '.notification-toast, .notifications-center .notification-list-item')
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

/** Which failed answer the chat view is asked for, and which of its buttons the member then presses. */
export interface ChatErrorScenario {
	message: string;
	screenshot: string;
	/** *Set API Key*: the key prompt opens. *Try again*: the question goes out again and fails again (the cause is unchanged). */
	press: 'setApiKey' | 'tryAgain';
}

/**
 * A message that fails, in the chat view: the error's action buttons (screenshot), then one of them
 * pressed. Returns the buttons' labels, the error, and what pressing did (the key prompt's text, or
 * the error under the retried question).
 */
export async function uiChatError(
	page: Page,
	scenario: ChatErrorScenario,
): Promise<{ ok: boolean; buttons?: string[]; error?: string; prompt?: string; retried?: string; detail?: string }> {
	const failedShot = scenario.screenshot.replace(/\.png$/, '-failed.png');
	try {
		const chat = await openChat(page);
		// Earlier failures of the day stay in the transcript: this question's answers are the ones right
		// after it (Try again asks it once more, so a second answer follows a second copy of it).
		const answers = chat.locator(`.entry.user:has-text(${JSON.stringify(scenario.message)}) + .entry.assistant`);
		await chat.locator('#input').fill(scenario.message);
		await chat.locator('#input').press('Enter');
		const actions = answers.first().locator('.error-actions');
		await actions.waitFor({ timeout: 30_000 });
		const buttons = await actions.locator('button').allTextContents();
		const error = (await answers.first().locator('.error').textContent()) ?? '';
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, scenario.screenshot) });
		await actions.locator(`button.action-${scenario.press}`).click();
		if (scenario.press === 'tryAgain') {
			const again = answers.nth(1).locator('.error');
			await again.waitFor({ timeout: 30_000 });
			await page.screenshot({ path: join(artifacts, scenario.screenshot.replace(/\.png$/, '-retried.png')) });
			return { ok: true, buttons, error: error.trim(), retried: ((await again.textContent()) ?? '').trim() };
		}
		const prompt = page.locator('.quick-input-widget');
		await prompt.waitFor({ state: 'visible', timeout: 10_000 });
		const asked = (await prompt.innerText()).trim();
		await page.screenshot({ path: join(artifacts, 'integration-chat-set-api-key.png') });
		await page.keyboard.press('Escape');
		return { ok: true, buttons, error: error.trim(), prompt: asked };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, failedShot) }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/**
 * The chat view as the day left it (answers, failures with their buttons, the endpoint's divider)
 * checked by axe-core against WCAG 2.2 AA in the workbench's own theme; a screenshot beside it.
 */
export async function uiChatAccessibility(
	page: Page,
	screenshot: string,
	theme?: 'light' | 'dark',
): Promise<{ ok: boolean; findings?: string[]; detail?: string }> {
	try {
		const chat = await openChat(page);
		if (theme) {
			// A theme change reaches the workbench and then each webview a moment after the setting:
			// checked before, the view would be judged in the theme it was leaving.
			await page.locator(`.monaco-workbench.${theme === 'dark' ? 'vs-dark' : 'vs'}`).waitFor({ timeout: 15_000 });
			await chat.locator(`body.vscode-${theme}`).waitFor({ state: 'attached', timeout: 15_000 });
		}
		// A view's webview is transparent: the member reads it on the side bar's colour, which axe, seeing
		// only the frame's own document, would take for white. Paint that colour behind the document first.
		const container = await chat.parentFrame()?.frameElement();
		// (No named function inside: the bundler would wrap it in a helper the page does not have.)
		const behind = await container?.evaluate((element) => {
			const view = globalThis as unknown as { getComputedStyle(node: unknown): { backgroundColor: string } };
			for (let node = element as { parentElement: unknown } | null; node; node = node.parentElement as typeof node) {
				const colour = view.getComputedStyle(node).backgroundColor;
				if (colour && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') {
					return colour;
				}
			}
			return undefined;
		});
		const paint = (colour: string) =>
			chat.evaluate((value) => {
				(
					globalThis as unknown as { document: { documentElement: { style: { background: string } } } }
				).document.documentElement.style.background = value;
			}, colour);
		if (behind) {
			await paint(behind);
		}
		try {
			const findings = await axeFindings(chat);
			mkdirSync(artifacts, { recursive: true });
			await page.screenshot({ path: join(artifacts, screenshot) });
			return { ok: true, findings };
		} finally {
			// Taken off again: left on, it stays when the theme changes back, and every later screenshot
			// showed the view in this theme's colour under the next theme's text.
			await paint('');
		}
	} catch (error) {
		return { ok: false, detail: String(error) };
	}
}

/**
 * A member's first minute with no policy server: the chat view's empty state (screenshot), then
 * *I have an invitation link*, the link typed into the prompt that opens (screenshot), and Enter.
 * Returns what the empty state and the prompt said.
 */
export async function uiFirstRun(
	page: Page,
	invitationLink: string,
): Promise<{ ok: boolean; welcome?: string; prompt?: string; detail?: string }> {
	try {
		const chat = await openChat(page);
		const welcome = chat.locator('#welcome');
		await welcome.waitFor({ state: 'visible', timeout: 20_000 });
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-first-run-empty-state.png') });
		const said = (await welcome.innerText()).trim();
		if (await chat.locator('#notice').isVisible()) {
			throw new Error(`the empty state also shows a notice: ${await chat.locator('#notice').innerText()}`);
		}
		await chat.locator('#welcome-invitation').click();
		const prompt = page.locator('.quick-input-widget');
		await prompt.waitFor({ state: 'visible', timeout: 10_000 });
		await page.keyboard.type(invitationLink);
		await page.waitForTimeout(300);
		const asked = (await prompt.innerText()).trim();
		await page.screenshot({ path: join(artifacts, 'integration-first-run-invitation.png') });
		await page.keyboard.press('Enter');
		return { ok: true, welcome: said, prompt: asked };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, 'integration-first-run-failed.png') }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/** The settings editor VS Code opened, showing `setting` (its title as the editor shows it): a screenshot, and whether it is listed. */
export async function uiSettingShown(
	page: Page,
	title: string,
	screenshot: string,
): Promise<{ ok: boolean; tab?: string; detail?: string }> {
	try {
		const item = page.locator('.settings-editor .setting-item').filter({ hasText: title }).first();
		await item.waitFor({ state: 'visible', timeout: 15_000 });
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, screenshot) });
		const tab = ((await page.locator('.settings-editor .settings-tabs-widget .action-item .checked').first().textContent()) ?? '').trim();
		return { ok: true, tab };
	} catch (error) {
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, screenshot.replace(/\.png$/, '-failed.png')) }).catch(() => undefined);
		return { ok: false, detail: String(error) };
	}
}

/** Opens the chat view from the command palette, as a member does, and returns its document. */
export async function openChat(page: Page): Promise<Frame> {
	await runFromPalette(page, 'Org Provider Policy: Open Chat');
	const chat = await chatFrame(page);
	// The view's document is there before the extension's first state (the badge, the day's
	// transcript) reaches it: wait for that, or what the transcript holds is read too early.
	// (A selector, not a script: the view's CSP refuses evaluated strings.)
	await chat.locator('#badge-label:not(:empty)').waitFor({ timeout: 20_000 });
	return chat;
}

/**
 * Runs a command from the palette as a member does. The title is entered once the palette's box
 * has focus, and Enter pressed once that command leads the list: keys typed before the palette
 * opens land in whatever had focus (a space in the chat view presses its provider badge).
 */
export async function runFromPalette(page: Page, title: string): Promise<void> {
	await page.keyboard.press('F1');
	const palette = page.locator('.quick-input-widget');
	const box = palette.locator('.quick-input-box input');
	await box.waitFor({ state: 'visible', timeout: 10_000 });
	await box.fill(`>${title}`);
	await palette.locator('.monaco-list-row.focused').filter({ hasText: title }).waitFor({ timeout: 10_000 });
	await box.press('Enter');
	await palette.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The chat view's document: webviews are nested frames, found by what they contain. */
export async function chatFrame(page: Page): Promise<Frame> {
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

/**
 * The admin's view of what members' extensions reported: the console's Usage page in Chromium
 * (signed in with the admin's password), its totals as the page shows them, and a screenshot.
 */
export async function consoleUsage(service: RunningService, page?: Page): Promise<{ requests: string; input: string; output: string }> {
	const browser = page?.context().browser() ?? (await launchChromium());
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
	try {
		const admin = await context.newPage();
		await admin.goto(`${service.url}/console/login`);
		await admin.fill('#email', ADMIN.email);
		await admin.fill('#password', ADMIN.password);
		await admin.click('#sign-in');
		await admin.waitForURL(/\/console\/settings$/);
		await admin.goto(`${service.url}/console/usage`);
		await admin.waitForFunction("[...document.querySelectorAll('canvas')].every((canvas) => canvas.width > 0)");
		mkdirSync(artifacts, { recursive: true });
		await admin.screenshot({ path: join(artifacts, 'integration-console-usage.png'), fullPage: true });
		const text = async (selector: string) => (await admin.textContent(selector)) ?? '';
		return { requests: await text('#total-requests'), input: await text('#total-input'), output: await text('#total-output') };
	} finally {
		await context.close();
		if (!page) {
			await browser.close();
		}
	}
}

/** The status bar item as the member reads it (its accessible label), with a screenshot of the status bar. */
export async function uiStatusItem(page: Page, screenshot: string): Promise<{ ok: boolean; label?: string; detail?: string }> {
	try {
		const item = page.locator('.statusbar-item[aria-label*="Org Provider Policy"]').first();
		await item.waitFor({ timeout: 10_000 });
		mkdirSync(artifacts, { recursive: true });
		await page.locator('.part.statusbar').screenshot({ path: join(artifacts, screenshot) });
		return { ok: true, label: (await item.getAttribute('aria-label')) ?? '' };
	} catch (error) {
		return { ok: false, detail: String(error) };
	}
}

/** The status bar item's tooltip, as a member hovering over it reads it: its text, and a screenshot. */
export async function uiStatusHover(page: Page, screenshot: string): Promise<{ ok: boolean; text?: string; detail?: string }> {
	try {
		const item = page.locator('.statusbar-item[aria-label*="Org Provider Policy"]').first();
		await item.hover();
		const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: 'Sync:' }).first();
		await hover.waitFor({ timeout: 10_000 });
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, screenshot) });
		const text = await hover.innerText();
		await page.mouse.move(0, 0);
		return { ok: true, text };
	} catch (error) {
		return { ok: false, detail: String(error) };
	}
}

/**
 * *Change Password…* from the command palette opens the service's password page in a new browser
 * tab, the member's address filled in. A web workbench opens a loopback address through its port
 * proxy (`/proxy/<port>/…`), which VS Code's own server does not serve: the tab is sent to the
 * address the extension asked for, as VS Code on a desktop opens it, and the page checked there.
 */
export async function uiChangePassword(
	page: Page,
	{ email }: { email: string },
): Promise<{ ok: boolean; detail: string } | { skipped: string }> {
	let where = 'no tab opened';
	try {
		const opened = page.context().waitForEvent('page', { timeout: 20_000 });
		await runFromPalette(page, 'Org Provider Policy: Change Password…');
		const tab = await opened;
		try {
			await tab.waitForLoadState('domcontentloaded');
			const shown = new URL(tab.url());
			where = `a tab opened at ${shown.href}`;
			const proxied = /^\/proxy\/(\d+)(\/.*)?$/.exec(shown.pathname);
			if (proxied && /^(\/|\/console\/login)?$/.test(proxied[2] ?? '') && !shown.search) {
				// code-server before 4.139 opens a loopback address as its proxy's root, path and query dropped
				// (coder/code-server#7668). The 1.139 host checks the page.
				return { skipped: `this code-server opened ${shown.pathname} for the password page (coder/code-server#7668)` };
			}
			const asked = proxied ? new URL(`${proxied[2] ?? '/'}${shown.search}`, `http://127.0.0.1:${proxied[1]}`) : shown;
			if (asked.href !== shown.href) {
				await tab.goto(asked.href);
			}
			const heading = await tab.locator('h1').textContent({ timeout: 10_000 });
			const filled = await tab.locator('#email').inputValue();
			mkdirSync(artifacts, { recursive: true });
			await tab.screenshot({ path: join(artifacts, 'integration-change-password.png') });
			const ok = asked.pathname === '/account/password' && heading === 'Change your password' && filled === email;
			return { ok, detail: `${where}, asked for ${asked.pathname}${asked.search}: "${heading}", address filled in: "${filled}"` };
		} finally {
			await tab.close();
		}
	} catch (error) {
		return { ok: false, detail: `${where}: ${String(error)}` };
	}
}

/** VS Code's own chat as the workbench shows it (the secondary side bar): its text, and a screenshot. */
export async function uiVsCodeChat(page: Page, screenshot: string): Promise<{ ok: boolean; text?: string; detail?: string }> {
	try {
		const chat = page.locator('.part.auxiliarybar');
		await chat.waitFor({ timeout: 10_000 });
		// The chat picks its default model once the models are registered: give the label a moment.
		await page.waitForTimeout(1000);
		mkdirSync(artifacts, { recursive: true });
		await page.screenshot({ path: join(artifacts, screenshot) });
		return { ok: true, text: await chat.innerText() };
	} catch (error) {
		return { ok: false, detail: String(error) };
	}
}
