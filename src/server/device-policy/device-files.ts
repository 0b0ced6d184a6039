import { randomUUID } from 'node:crypto';
import { build as buildPlist } from 'plist';
import * as z from 'zod';
import {
	KNOWN_ASSISTANTS,
	MACOS_DOMAIN,
	VSCODE_POLICIES,
	WINDOWS_KEY,
	type KnownAssistant,
	type VsCodePolicyName,
} from './vscode-policies';

/** Our own extension's id: always allowed, or the policy would disable what enforces it. */
export const OUR_EXTENSION_ID = 'org-provider-policy.org-provider-policy';

/** An extension id (`publisher.name`) or a whole publisher, as AllowedExtensions takes them. */
const EXTENSION_OR_PUBLISHER = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)?$/i;

const flag = (field: string) => z.enum(['on', 'off'], `${field} must be "on" or "off"`).transform((value) => value === 'on');

/** What the admin chose on the console's Devices page (or the API's query): every field optional, each wrong one named. */
export const DeviceChoicesSchema = z.object({
	assistants: z
		.array(
			z.enum(
				Object.keys(KNOWN_ASSISTANTS) as [KnownAssistant, ...KnownAssistant[]],
				`must be one of ${Object.keys(KNOWN_ASSISTANTS).join(', ')}`,
			),
		)
		.default([]),
	alsoAllow: z
		.array(z.string().trim().regex(EXTENSION_OR_PUBLISHER, 'must be an extension id (publisher.name) or a publisher'))
		.max(200, 'must name at most 200 extensions or publishers')
		.default([]),
	agentMode: flag('agentMode').optional(),
	mcp: z.enum(VSCODE_POLICIES.ChatMCP.values, 'must be none, registry or all').optional(),
	extensionTools: flag('extensionTools').optional(),
	autoApprove: flag('autoApprove').optional(),
	terminalAutoApprove: flag('terminalAutoApprove').optional(),
});
export type DeviceChoices = z.infer<typeof DeviceChoicesSchema>;

type PolicyValue = string | boolean;

/** The policies the choices set, by VS Code's policy names, in a stable order. */
export function policiesOf(choices: DeviceChoices): Partial<Record<VsCodePolicyName, PolicyValue>> {
	const allowed: Record<string, boolean> = { [OUR_EXTENSION_ID]: true };
	for (const assistant of choices.assistants) {
		allowed[KNOWN_ASSISTANTS[assistant].id] = true;
	}
	for (const extra of choices.alsoAllow) {
		allowed[extra] = true;
	}
	const optional = <T extends PolicyValue>(name: VsCodePolicyName, value: T | undefined) => (value === undefined ? {} : { [name]: value });
	return {
		// Every platform takes the object as a JSON string (the registry and plists hold no objects).
		AllowedExtensions: JSON.stringify(allowed),
		...optional('ChatAgentMode', choices.agentMode),
		...optional('ChatMCP', choices.mcp),
		...optional('ChatAgentExtensionTools', choices.extensionTools),
		...optional('ChatToolsAutoApprove', choices.autoApprove),
		...optional('ChatToolsTerminalEnableAutoApprove', choices.terminalAutoApprove),
	};
}

/** `/etc/vscode/policy.json` for Linux (VS Code 1.106 and later read it). */
export function linuxPolicyFile(choices: DeviceChoices): string {
	return `${JSON.stringify(policiesOf(choices), null, 2)}\n`;
}

/** A macOS configuration profile setting VS Code's managed preferences (install with MDM, or by opening it). */
export function macosProfile(choices: DeviceChoices, organization: { id: string; name: string }): string {
	const reverse = `org.orgproviderpolicy.${organization.id}.vscode`;
	return buildPlist({
		PayloadType: 'Configuration',
		PayloadVersion: 1,
		PayloadIdentifier: reverse,
		PayloadUUID: randomUUID().toUpperCase(),
		PayloadDisplayName: `VS Code policies for ${organization.name}`,
		PayloadDescription: 'Which extensions VS Code allows and how its chat may act, set by your organization.',
		PayloadOrganization: organization.name,
		PayloadScope: 'System',
		PayloadContent: [
			{
				PayloadType: MACOS_DOMAIN,
				PayloadVersion: 1,
				PayloadIdentifier: `${reverse}.policies`,
				PayloadUUID: randomUUID().toUpperCase(),
				PayloadDisplayName: 'Visual Studio Code',
				...policiesOf(choices),
			},
		],
	});
}

/** A `.reg` string value: backslashes and quotes escaped. */
const regString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The Windows registry values, as a `.reg` file regedit imports (UTF-16LE with a byte-order mark,
 * as regedit itself writes them): booleans as DWORD 0/1, strings as REG_SZ.
 */
export function windowsRegistryFile(choices: DeviceChoices): Buffer {
	const lines = Object.entries(policiesOf(choices)).map(
		([name, value]) => `${regString(name)}=${typeof value === 'boolean' ? `dword:0000000${value ? 1 : 0}` : regString(value)}`,
	);
	const text = ['Windows Registry Editor Version 5.00', '', `[${WINDOWS_KEY}]`, ...lines, ''].join('\r\n');
	return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** Our own bootstrap file, deployed beside VS Code's policies: which service members' VS Code connects to. */
export function bootstrapFile(serverUrl: string, organizationId: string): string {
	return `${JSON.stringify({ serverUrl, organization: organizationId }, null, 2)}\n`;
}

/** The files the Devices page offers, by the name they download as. */
export const DEVICE_FILES = {
	'policy.json': { type: 'application/json; charset=utf-8', platform: 'Linux: /etc/vscode/policy.json' },
	'vscode-policies.mobileconfig': { type: 'application/x-apple-aspen-config', platform: 'macOS: a configuration profile' },
	'vscode-policies.reg': {
		type: 'text/plain; charset=utf-16le',
		platform: 'Windows: registry values (regedit /s, or Group Policy preferences)',
	},
	'bootstrap.json': { type: 'application/json; charset=utf-8', platform: "Every platform: this extension's bootstrap file" },
} as const;
export type DeviceFileName = keyof typeof DEVICE_FILES;

/** One file's bytes for the organization and the admin's choices. */
export function deviceFile(
	name: DeviceFileName,
	choices: DeviceChoices,
	organization: { id: string; name: string },
	serverUrl: string,
): { body: string | Buffer; type: string } {
	const type = DEVICE_FILES[name].type;
	switch (name) {
		case 'policy.json':
			return { body: linuxPolicyFile(choices), type };
		case 'vscode-policies.mobileconfig':
			return { body: macosProfile(choices, organization), type };
		case 'vscode-policies.reg':
			return { body: windowsRegistryFile(choices), type };
		case 'bootstrap.json':
			return { body: bootstrapFile(serverUrl, organization.id), type };
	}
}

/** The chat policies chosen as on or off (empty: not set). */
const FLAGS = ['agentMode', 'extensionTools', 'autoApprove', 'terminalAutoApprove'] as const;

/** A list as forms and scripts send it: the parameter repeated, or its values separated by commas or spaces. */
function listOf(value: unknown): string[] {
	return (Array.isArray(value) ? value : value === undefined ? [] : [value])
		.flatMap((item) => String(item).split(/[\s,]+/))
		.filter(Boolean);
}

/** The query a form or a script sends, each wrong field named by the schema. */
export function choicesFromQuery(query: Record<string, unknown>): ReturnType<typeof DeviceChoicesSchema.safeParse> {
	const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);
	return DeviceChoicesSchema.safeParse(
		{
			assistants: listOf(query['assistants']),
			alsoAllow: listOf(query['alsoAllow']),
			mcp: blankToUndefined(query['mcp']),
			...Object.fromEntries(FLAGS.map((flag) => [flag, blankToUndefined(query[flag])])),
		},
		// The input is reported so a value that did not parse is told from one that is missing.
		{ reportInput: true },
	);
}

/** What the admin chose, as far as it can be read: to show the form again beside its errors. */
export function choicesAsSent(query: Record<string, unknown>): DeviceChoices {
	const mcp = VSCODE_POLICIES.ChatMCP.values.find((value) => value === query['mcp']);
	const flags = Object.fromEntries(
		FLAGS.flatMap((flag) => (query[flag] === 'on' ? [[flag, true]] : query[flag] === 'off' ? [[flag, false]] : [])),
	);
	return {
		assistants: listOf(query['assistants']).filter((key): key is KnownAssistant => key in KNOWN_ASSISTANTS),
		alsoAllow: listOf(query['alsoAllow']),
		...(mcp ? { mcp } : {}),
		...flags,
	};
}
