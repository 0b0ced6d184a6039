import { join } from 'node:path';
import type * as vscode from 'vscode';
import { OrgPolicyExtension } from './org-policy-extension';
import type { StartUpPolicy } from './sync/start-up-policy';

/**
 * The extension past its activation path (dist/extension-main.js), loaded right after activation
 * or on first use, whichever comes first.
 */
export function createOrgPolicyExtension(context: vscode.ExtensionContext, startUp: StartUpPolicy): OrgPolicyExtension {
	// Bundled apart and required on first use: undici (dist/http.js) on the first request, the openai
	// SDK (dist/chat-client.js) when the member first chats, @azure/identity (dist/entra.js) only when a
	// policy turns Entra ID on, the tokenizer (dist/tokenizer.js) on the first token count.
	return new OrgPolicyExtension(
		context,
		{
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			http: () => require(join(__dirname, 'http.js')),
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			chatClient: () => require(join(__dirname, 'chat-client.js')),
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			entra: () => require(join(__dirname, 'entra.js')),
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			tokenizer: () => require(join(__dirname, 'tokenizer.js')),
		},
		startUp,
	);
}
