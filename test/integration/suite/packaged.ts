import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { OrgProviderPolicyApi } from '../../../src/extension/api';
import type { LanguageModelConsumer } from '../lm-consumer/extension';

/**
 * What only the installed package can show: that the host runs the .vsix a member installs (not
 * the development folder), and that the lazily loaded chunks it carries work (token counts here;
 * Entra ID in the member's day). Runs after the member's day (sign-in, policy, models, answer, tool
 * round trip, Entra ID) in the packaged run, which the launcher starts with `--packaged`.
 */
export function packagedChecks(
	seen: (test: Mocha.Context, wanted: { kind: 'notification'; contains: string; screenshot: string }) => Promise<string>,
): void {
	describe('the packaged extension, as members install it', () => {
		const ours = () => vscode.extensions.getExtension<OrgProviderPolicyApi>('org-provider-policy.org-provider-policy')!;

		it('is the installed .vsix, not the development folder', () => {
			const extension = ours();
			assert.ok(extension, 'installed');
			assert.match(extension.extensionPath, /extensions[\\/]org-provider-policy\.org-provider-policy-/);
			assert.equal(existsSync(join(extension.extensionPath, 'src')), false, 'no sources in the package');
			assert.equal(existsSync(join(extension.extensionPath, 'dist', 'extension.js.map')), false, 'no source maps');
		});

		it("counts tokens with the model's public encoding and answers through vscode.lm (screenshot)", async function () {
			const lm = vscode.extensions.getExtension<LanguageModelConsumer>('org-provider-policy-tests.lm-consumer')!;
			const consumer = await lm.activate();
			const count = await consumer.countTokens('gpt-4o', 'Hello, world!');
			assert.equal(count, 4, 'o200k_base counts "Hello, world!" as 4 tokens');
			const transcript = await consumer.ask('gpt-4o', 'Hello from the packaged extension');
			assert.equal(transcript.error, undefined, JSON.stringify(transcript.error));
			assert.equal(transcript.text, 'Hello from the endpoint ✓');
			void vscode.window.showInformationMessage(`Consumer: ${transcript.text} (${count} tokens)`);
			const shown = await seen(this, {
				kind: 'notification',
				contains: 'Consumer:',
				screenshot: 'integration-packaged-consumer.png',
			});
			assert.match(shown, /\(4 tokens\)/);
		});
	});
}
