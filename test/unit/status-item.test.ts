import assert from 'node:assert/strict';
import { statusItemView, type StatusItemInput } from '../../src/extension/features/status-item';
import { effectiveSettings, type MemberProviderSettings } from '../../src/extension/lock/effective';
import type { SyncState } from '../../src/extension/sync/policy-sync';
import { buildPolicyDocument, PolicySettingsSchema } from '../../src/policy';
import { stamp, validSettings } from '../support/policy-fixtures';

const member: MemberProviderSettings = { preset: 'openai', baseUrl: undefined, headers: {} };
const document = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.azureDeployment), { ...stamp, revision: 7 });
const inSync: SyncState = { status: 'in-sync', policy: { document, source: 'live', receivedAt: 0 } };
const input = (overrides: Partial<StatusItemInput>): StatusItemInput => ({
	state: inSync,
	effective: effectiveSettings(document, member),
	organization: 'Acme Corp',
	signedIn: true,
	server: 'https://policy.acme.example',
	needsApiKey: false,
	...overrides,
});

describe('the status bar item', () => {
	it('shows the sync state and the lock, and opens the effective policy', () => {
		const view = statusItemView(input({}));
		assert.equal(view.text, '$(pass) $(lock) Acme Corp');
		assert.equal(view.command, 'orgProviderPolicy.showEffectivePolicy');
		assert.equal(view.attention, false);
		assert.match(view.accessibilityLabel, /^Org Provider Policy: Acme Corp, .+, in sync \(revision 7\)$/);
	});

	it('keeps a missing key in view until it is entered: the item asks for it and opens the key prompt (#28 item 8)', () => {
		const view = statusItemView(input({ needsApiKey: true }));
		assert.equal(view.text, '$(key) $(lock) Acme Corp: API key needed');
		assert.equal(view.command, 'orgProviderPolicy.setApiKey');
		assert.equal(view.attention, true);
		assert.match(view.tooltip, /No API key is set for acme\.openai\.azure\.com: click to enter yours\./);
		assert.match(view.accessibilityLabel, /API key needed for acme\.openai\.azure\.com$/);
		const entered = statusItemView(input({ needsApiKey: false }));
		assert.equal(entered.attention, false, 'the key entered: the item is back to the state');
		assert.doesNotMatch(entered.tooltip, /API key/);
	});

	it('signed out, it is the way in, whatever a key would need', () => {
		const view = statusItemView(input({ state: { status: 'signed-out', policy: undefined }, signedIn: false, needsApiKey: true }));
		assert.equal(view.text, '$(account) $(lock) Acme Corp');
		assert.equal(view.command, 'orgProviderPolicy.signIn');
		assert.match(view.tooltip, /Click to sign in\.$/);
	});

	it('marks a policy that cannot be verified as an error, not as signed out', () => {
		const view = statusItemView(
			input({
				state: { status: 'cannot-verify', policy: undefined, organizationId: 'acme', message: 'the cached policy failed its check' },
			}),
		);
		assert.match(view.text, /^\$\(error\) /);
	});
});
