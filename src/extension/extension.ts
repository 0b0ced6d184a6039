import { join } from 'node:path';
import type * as vscode from 'vscode';
import { ActivationShell } from './activation-shell';
import type { OrgProviderPolicyApi } from './api';

/**
 * The activation bundle (dist/extension.js) carries only what puts the cached policy in force:
 * the precompiled validators and the signature check. Every feature is in dist/extension-main.js.
 */
export async function activate(context: vscode.ExtensionContext): Promise<OrgProviderPolicyApi> {
	const shell = new ActivationShell(context, {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		validators: () => require(join(__dirname, 'policy-validators.js')),
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		main: () => require(join(__dirname, 'extension-main.js')),
	});
	context.subscriptions.push(shell);
	await shell.ready;
	return shell.api;
}

export function deactivate(): void {}
