import { join } from 'node:path';
import * as vscode from 'vscode';
import type { OrgProviderPolicyApi } from './api';
import { OrgPolicyExtension } from './org-policy-extension';

export async function activate(context: vscode.ExtensionContext): Promise<OrgProviderPolicyApi> {
	// Bundled apart and required on first use, to keep them off the activation path: undici
	// (dist/http.js) on the first request, the openai SDK
	// (dist/chat-client.js) when the member first chats, @azure/identity (dist/entra.js) only when a
	// policy turns Entra ID on, the tokenizer (dist/tokenizer.js) on the first token count.
	const extension = new OrgPolicyExtension(context, {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		http: () => require(join(__dirname, 'http.js')),
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		chatClient: () => require(join(__dirname, 'chat-client.js')),
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		entra: () => require(join(__dirname, 'entra.js')),
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		tokenizer: () => require(join(__dirname, 'tokenizer.js')),
	});
	context.subscriptions.push(extension);
	await extension.ready;
	return extension.api;
}

export function deactivate(): void {}
