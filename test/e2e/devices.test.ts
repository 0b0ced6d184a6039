import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parsePlist } from 'plist';
import { signedInConsole } from '../support/chromium';
import { readRegFile } from '../support/reg-file';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');
const OURS = 'org-provider-policy.org-provider-policy';

/** The Devices page (#24 item 5): the admin's choices become files that download and read back as valid JSON, plist and .reg. */
describe('device-management files in headless Chromium', function () {
	this.timeout(60_000);
	const ui = signedInConsole({ pageOptions: { acceptDownloads: true }, startAt: '/console/devices' });

	const download = async (file: string): Promise<Buffer> => {
		const [downloaded] = await Promise.all([ui.page.waitForEvent('download'), ui.page.click(`button[name="file"][value="${file}"]`)]);
		assert.equal(downloaded.suggestedFilename(), file);
		return readFileSync((await downloaded.path())!);
	};

	it('downloads the Linux policy.json, the macOS profile, the Windows .reg and the bootstrap file, each valid and saying the same', async () => {
		const { page, service } = ui;
		await page.check('input[name="assistants"][value="cline"]');
		await page.check('input[name="assistants"][value="roo-code"]');
		await page.fill('#alsoAllow', 'ms-python.python');
		await page.selectOption('#agentMode', 'off');
		await page.selectOption('#mcp', 'registry');
		await page.selectOption('#autoApprove', 'off');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.locator('main').screenshot({ path: join(ARTIFACTS, 'console-devices.png') });
		const allowed = { [OURS]: true, 'saoudrizwan.claude-dev': true, 'RooVeterinaryInc.roo-cline': true, 'ms-python.python': true };

		const linux = JSON.parse((await download('policy.json')).toString('utf8'));
		assert.deepEqual(JSON.parse(linux.AllowedExtensions), allowed);
		assert.deepEqual([linux.ChatAgentMode, linux.ChatMCP, linux.ChatToolsAutoApprove], [false, 'registry', false]);

		const profile = parsePlist((await download('vscode-policies.mobileconfig')).toString('utf8')) as unknown as {
			PayloadType: string;
			PayloadContent: Record<string, unknown>[];
		};
		assert.equal(profile.PayloadType, 'Configuration');
		assert.equal(profile.PayloadContent[0]?.PayloadType, 'com.microsoft.VSCode');
		assert.deepEqual(JSON.parse(String(profile.PayloadContent[0]?.AllowedExtensions)), allowed);

		const windows = readRegFile(await download('vscode-policies.reg')).get('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\VSCode');
		assert.deepEqual(JSON.parse(String(windows?.get('AllowedExtensions'))), allowed);
		assert.deepEqual([windows?.get('ChatAgentMode'), windows?.get('ChatMCP')], [0, 'registry']);

		assert.deepEqual(JSON.parse((await download('bootstrap.json')).toString('utf8')), { serverUrl: service.url, organization: 'acme' });
	});

	it('refuses a malformed extension id beside its field, keeping what the admin chose', async () => {
		const { page } = ui;
		await page.check('input[name="assistants"][value="cline"]');
		await page.fill('#alsoAllow', 'ms-python.python, bad!id');
		await page.click('button[name="file"][value="policy.json"]');
		await page.waitForSelector('[data-error-for="alsoAllow"]:not(:empty)');
		assert.equal(await page.textContent('[data-error-for="alsoAllow"]'), 'must be an extension id (publisher.name) or a publisher');
		assert.equal(await page.isChecked('input[name="assistants"][value="cline"]'), true);
		assert.equal(await page.inputValue('#alsoAllow'), 'ms-python.python, bad!id');
	});
});
