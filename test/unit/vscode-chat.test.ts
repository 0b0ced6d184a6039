import assert from 'node:assert/strict';
import { listsWithoutSignIn, vscodeChatNotice, vscodeChatVisibility } from '../../src/extension/lock/vscode-chat';

describe("VS Code's own chat and the organization's models (#24 item 4)", () => {
	it('lists them without a Copilot sign-in from VS Code 1.122 on, and not before', () => {
		assert.equal(listsWithoutSignIn('1.104.0'), false);
		assert.equal(listsWithoutSignIn('1.117.0'), false);
		assert.equal(listsWithoutSignIn('1.121.3'), false);
		assert.equal(listsWithoutSignIn('1.122.0'), true);
		assert.equal(listsWithoutSignIn('1.139.1'), true);
		assert.equal(listsWithoutSignIn('2.0.0'), true);
		assert.equal(listsWithoutSignIn('1.122.0-insider'), true);
	});

	it('before 1.122 with nobody signed in to Copilot: not listed, and the member is told where to use the models', () => {
		const visibility = vscodeChatVisibility({ vscodeVersion: '1.117.0', copilotModels: 0, aiFeaturesDisabled: false });
		assert.deepEqual(visibility, { listed: false, reason: 'copilot-sign-in-needed' });
		assert.equal(
			vscodeChatNotice('Acme Corp', visibility),
			"VS Code's own chat does not list Acme Corp's models here: before VS Code 1.122 it lists models from extensions only while you are signed in to GitHub Copilot (with Copilot Business or Enterprise, only if your organization allows \"Bring Your Own Language Model Key\"). Sign in to Copilot or update VS Code; this extension's chat view, Cline and Roo Code use them as they are.",
		);
	});

	it('signed in to Copilot (its models are registered): listed, as far as the Copilot policy allows; nothing to tell', () => {
		const visibility = vscodeChatVisibility({ vscodeVersion: '1.117.0', copilotModels: 3, aiFeaturesDisabled: false });
		assert.deepEqual(visibility, { listed: true, copilotPolicy: true });
		assert.equal(vscodeChatNotice('Acme Corp', visibility), undefined);
	});

	it('from 1.122 on with no sign-in: listed, nothing to tell', () => {
		const visibility = vscodeChatVisibility({ vscodeVersion: '1.139.1', copilotModels: 0, aiFeaturesDisabled: false });
		assert.deepEqual(visibility, { listed: true, copilotPolicy: false });
		assert.equal(vscodeChatNotice('Acme Corp', visibility), undefined);
	});

	it("with VS Code's AI features turned off, on any version: not listed, and says which setting", () => {
		for (const vscodeVersion of ['1.117.0', '1.139.1']) {
			const visibility = vscodeChatVisibility({ vscodeVersion, copilotModels: 2, aiFeaturesDisabled: true });
			assert.deepEqual(visibility, { listed: false, reason: 'ai-features-disabled' });
			assert.match(vscodeChatNotice('Acme Corp', visibility) ?? '', /^VS Code's own chat is off here \(chat\.disableAIFeatures\)/);
		}
	});
});
