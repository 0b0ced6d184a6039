import type { FieldError } from '../../policy';
import { DEVICE_FILES, type DeviceChoices } from '../device-policy/device-files';
import { KNOWN_ASSISTANTS, VSCODE_POLICIES } from '../device-policy/vscode-policies';
import { html, type SafeHtml } from './html';

const errorFor = (errors: readonly FieldError[], field: string) => {
	const found = errors.find((error) => error.path === field || error.path.startsWith(`${field}.`) || error.path.startsWith(`${field}[`));
	return html`<div class="field-error" data-error-for="${field}" role="alert">${found?.message ?? ''}</div>`;
};

/** A chat policy as a choice: leave it to VS Code (and each member), or set it on or off. */
function flagChoice(name: keyof DeviceChoices, label: string, policy: string, current: boolean | undefined, hint: string): SafeHtml {
	const selected = (value: string) => ((current === undefined ? '' : current ? 'on' : 'off') === value ? 'selected' : '');
	return html`<div class="field">
		<label for="${name}">${label}</label>
		<select id="${name}" name="${name}">
			<option value="" ${selected('')}>Not set (VS Code's default; members choose)</option>
			<option value="on" ${selected('on')}>On</option>
			<option value="off" ${selected('off')}>Off</option>
		</select>
		<p class="hint">${hint} Policy <code>${policy}</code>.</p>
	</div>`;
}

/**
 * The Devices page: the files an admin pushes with device management beside this extension's
 * bootstrap file — VS Code's own policies for Linux, macOS and Windows, allowing this extension and
 * the assistants ticked, and the chat policies VS Code offers. Downloads are GET forms; the console
 * script only checks the session first, so that an ended one does not swap the page for the sign-in.
 */
export function devicesPage(state: { choices: DeviceChoices; errors: readonly FieldError[]; serverUrl: string }): SafeHtml {
	const { choices, errors } = state;
	return html`<section class="card">
		<h1>Devices</h1>
		<p class="muted">VS Code reads policies its administrators set on each computer. Download them here and push them with your device management (Intune, Jamf, Ansible…) beside this extension's bootstrap file. Every extension the list does not allow is disabled, and members cannot change a setting a policy sets.</p>
		<div id="status" class="status" role="status" aria-live="polite"></div>
		<form method="get" action="/console/devices/download" id="device-files" data-keep-through-session-end>
			<fieldset>
				<legend>Extensions VS Code allows (<code>AllowedExtensions</code>, VS Code ${VSCODE_POLICIES.AllowedExtensions.minimumVersion}+)</legend>
				<p class="hint">Org Provider Policy is always allowed.</p>
				${Object.entries(KNOWN_ASSISTANTS).map(
					([key, assistant]) =>
						html`<label class="toggle"><input type="checkbox" name="assistants" value="${key}" ${choices.assistants.includes(key as never) ? 'checked' : ''}> ${assistant.label} <code>${assistant.id}</code></label><br>`,
				)}
				${errorFor(errors, 'assistants')}
				<div class="field">
					<label for="alsoAllow">Also allow</label>
					<input id="alsoAllow" name="alsoAllow" value="${choices.alsoAllow.join(', ')}" placeholder="ms-python.python, redhat (extension ids or publishers, comma-separated)" spellcheck="false">
					${errorFor(errors, 'alsoAllow')}
				</div>
			</fieldset>
			<fieldset>
				<legend>VS Code's chat</legend>
				${flagChoice('agentMode', 'Agent mode', 'ChatAgentMode', choices.agentMode, 'Whether chat may act with tools that change files and run commands.')}
				<div class="field">
					<label for="mcp">MCP servers</label>
					<select id="mcp" name="mcp">
						<option value="" ${choices.mcp === undefined ? 'selected' : ''}>Not set (VS Code's default; members choose)</option>
						<option value="none" ${choices.mcp === 'none' ? 'selected' : ''}>None</option>
						<option value="registry" ${choices.mcp === 'registry' ? 'selected' : ''}>Only from the registry VS Code is connected to</option>
						<option value="all" ${choices.mcp === 'all' ? 'selected' : ''}>Any installed server</option>
					</select>
					<p class="hint">Policy <code>ChatMCP</code>.</p>
					${errorFor(errors, 'mcp')}
				</div>
				${flagChoice('extensionTools', 'Tools from other extensions', 'ChatAgentExtensionTools', choices.extensionTools, 'Whether chat may use tools that third-party extensions contribute.')}
				${flagChoice('autoApprove', 'Approve every tool without asking ("YOLO")', 'ChatToolsAutoApprove', choices.autoApprove, 'Off keeps a person confirming each tool call.')}
				${flagChoice('terminalAutoApprove', 'Approve terminal commands automatically', 'ChatToolsTerminalEnableAutoApprove', choices.terminalAutoApprove, 'VS Code 1.104+.')}
			</fieldset>
			<div class="actions">
				${Object.entries(DEVICE_FILES).map(
					([name, file]) =>
						html`<button type="submit" name="file" value="${name}" class="${name === 'bootstrap.json' ? '' : 'primary'}" title="${file.platform}">${name}</button>`,
				)}
			</div>
			<ul class="hint">
				${Object.entries(DEVICE_FILES).map(([name, file]) => html`<li><code>${name}</code> — ${file.platform}</li>`)}
			</ul>
			<p class="hint">The bootstrap file points VS Code at <code>${state.serverUrl}</code>; its place on each platform is in the README.</p>
		</form>
	</section>`;
}
