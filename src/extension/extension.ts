import { join } from 'node:path';
import * as vscode from 'vscode';
import type { OrgProviderPolicyApi } from './api';
import { OrgPolicyExtension } from './org-policy-extension';

export function activate(context: vscode.ExtensionContext): OrgProviderPolicyApi {
	// @azure/identity is bundled apart (dist/entra.js) and required only when a policy turns Entra ID on.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const extension = new OrgPolicyExtension(context, () => require(join(__dirname, 'entra.js')));
	context.subscriptions.push(extension);
	return extension.api;
}

export function deactivate(): void {}
