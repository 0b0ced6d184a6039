import assert from 'node:assert/strict';
import { parse as parsePlist } from 'plist';
import {
	bootstrapFile,
	choicesFromQuery,
	linuxPolicyFile,
	macosProfile,
	OUR_EXTENSION_ID,
	windowsRegistryFile,
	type DeviceChoices,
} from '../../src/server/device-policy/device-files';
import { readRegFile } from '../support/reg-file';

const choose = (query: Record<string, unknown>): DeviceChoices => {
	const parsed = choicesFromQuery(query);
	assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
	return parsed.data;
};

/** What the policies must say on every platform for these choices. */
const EXPECTED_ALLOWED = {
	[OUR_EXTENSION_ID]: true,
	'saoudrizwan.claude-dev': true,
	'RooVeterinaryInc.roo-cline': true,
	'ms-python.python': true,
	redhat: true,
};

/**
 * The device-management files (#24 item 5): VS Code's own policies, in the form each platform's
 * policy reader takes them (see src/server/device-policy/vscode-policies.ts for the source).
 */
describe('device-management files', () => {
	const choices = choose({
		assistants: ['cline', 'roo-code'],
		alsoAllow: 'ms-python.python, redhat',
		agentMode: 'off',
		mcp: 'registry',
		autoApprove: 'off',
		extensionTools: '',
	});

	it('writes /etc/vscode/policy.json: the allowed extensions as the JSON string VS Code parses, and the chat policies chosen', () => {
		const policies = JSON.parse(linuxPolicyFile(choices));
		assert.deepEqual(Object.keys(policies), ['AllowedExtensions', 'ChatAgentMode', 'ChatMCP', 'ChatToolsAutoApprove']);
		assert.deepEqual(JSON.parse(policies.AllowedExtensions), EXPECTED_ALLOWED);
		assert.deepEqual([policies.ChatAgentMode, policies.ChatMCP, policies.ChatToolsAutoApprove], [false, 'registry', false]);
	});

	it('writes a macOS configuration profile for com.microsoft.VSCode that a plist reader reads back', () => {
		const profile = parsePlist(macosProfile(choices, { id: 'acme', name: 'Acme Corp' })) as Record<string, unknown>;
		assert.equal(profile.PayloadType, 'Configuration');
		assert.equal(profile.PayloadIdentifier, 'org.orgproviderpolicy.acme.vscode');
		assert.match(String(profile.PayloadUUID), /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
		const [payload] = profile.PayloadContent as Record<string, unknown>[];
		assert.equal(payload?.PayloadType, 'com.microsoft.VSCode');
		assert.deepEqual(JSON.parse(String(payload?.AllowedExtensions)), EXPECTED_ALLOWED);
		assert.deepEqual([payload?.ChatAgentMode, payload?.ChatMCP, payload?.ChatToolsAutoApprove], [false, 'registry', false]);
	});

	it('writes Windows registry values under HKLM\\SOFTWARE\\Policies\\Microsoft\\VSCode as regedit reads them', () => {
		const keys = readRegFile(windowsRegistryFile(choices));
		const values = keys.get('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\VSCode');
		assert.ok(values, [...keys.keys()].join(', '));
		assert.deepEqual(JSON.parse(String(values.get('AllowedExtensions'))), EXPECTED_ALLOWED);
		assert.deepEqual([values.get('ChatAgentMode'), values.get('ChatMCP'), values.get('ChatToolsAutoApprove')], [0, 'registry', 0]);
		const on = readRegFile(windowsRegistryFile(choose({ autoApprove: 'on' }))).get(
			'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\VSCode',
		);
		assert.equal(on?.get('ChatToolsAutoApprove'), 1);
	});

	it('always allows this extension, and writes the bootstrap file that points VS Code at the service', () => {
		const none = JSON.parse(linuxPolicyFile(choose({})));
		assert.deepEqual(none, { AllowedExtensions: JSON.stringify({ [OUR_EXTENSION_ID]: true }) });
		assert.deepEqual(JSON.parse(bootstrapFile('https://policy.acme.example', 'acme')), {
			serverUrl: 'https://policy.acme.example',
			organization: 'acme',
		});
	});

	it('refuses an unknown assistant, a malformed extension id and a wrong switch, naming each field', () => {
		const refused = choicesFromQuery({ assistants: 'copilot-pirate', alsoAllow: 'good.one, bad!id', agentMode: 'maybe' });
		assert.equal(refused.success, false);
		assert.deepEqual(
			refused.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
			[
				'assistants.0: must be one of cline, roo-code, kilo-code, continue, copilot-chat',
				'alsoAllow.1: must be an extension id (publisher.name) or a publisher',
				'agentMode: agentMode must be "on" or "off"',
			],
		);
	});
});
