import assert from 'node:assert/strict';
import { statusItemView, type StatusItemInput } from '../../src/extension/features/status-item';
import { effectiveSettings, type MemberProviderSettings } from '../../src/extension/lock/effective';
import type { SyncState } from '../../src/extension/sync/policy-sync';
import { transition } from '../../src/extension/sync/state';
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
		assert.match(view.tooltip.join('\n'), /No API key is set for acme\.openai\.azure\.com: click to enter yours\./);
		assert.match(view.accessibilityLabel, /API key needed for acme\.openai\.azure\.com$/);
		const entered = statusItemView(input({ needsApiKey: false }));
		assert.equal(entered.attention, false, 'the key entered: the item is back to the state');
		assert.doesNotMatch(entered.tooltip.join('\n'), /API key/);
	});

	it('signed out, it is the way in, whatever a key would need', () => {
		const view = statusItemView(input({ state: { status: 'signed-out', policy: undefined }, signedIn: false, needsApiKey: true }));
		assert.equal(view.text, '$(account) $(lock) Acme Corp');
		assert.equal(view.command, 'orgProviderPolicy.signIn');
		assert.equal(view.tooltip.at(-1), 'Click to sign in.');
	});

	it('at start-up, until the stored sign-in is read, is neither "signed out" nor the way to sign in', () => {
		const cached: SyncState = { status: 'signed-out', policy: { document, source: 'cached', receivedAt: 0 } };
		const starting = statusItemView(input({ state: cached, signedIn: undefined, needsApiKey: true }));
		assert.equal(starting.text, '$(sync~spin) $(lock) Acme Corp');
		assert.equal(starting.command, 'orgProviderPolicy.showEffectivePolicy', 'a click does not begin a second sign-in');
		assert.equal(starting.attention, false, 'nor asks for a key before it is known whose');
		assert.ok(starting.tooltip.includes('Sync: starting (reading your sign-in)'));
		assert.ok(!starting.tooltip.includes('Click to sign in.'));
		assert.match(starting.accessibilityLabel, /, starting \(reading your sign-in\)$/);
		// Read, and nobody was signed in: now it is the way in.
		const read = statusItemView(input({ state: cached, signedIn: false }));
		assert.equal(read.text, '$(account) $(lock) Acme Corp');
		assert.equal(read.command, 'orgProviderPolicy.signIn');
	});

	it('says offline only when the network failed: a service that answered but refused is "not updated"', () => {
		const at = new Date(2026, 11, 4, 9, 30, 0).getTime();
		const stale = (reason: string, unreachable: boolean): SyncState => transition(inSync, { type: 'failed', reason, unreachable, at });
		const offline = statusItemView(input({ state: stale('cannot reach the policy service (ECONNREFUSED)', true) }));
		assert.equal(offline.text, '$(warning) $(lock) Acme Corp');
		assert.ok(
			offline.tooltip.includes(
				`Sync: stale (offline since ${new Date(at).toLocaleTimeString()}: cannot reach the policy service (ECONNREFUSED); revision 7)`,
			),
		);
		const refused = statusItemView(
			input({ state: stale('the policy event stream answered 429: this account already has 50 policy event streams open', false) }),
		);
		assert.ok(
			refused.tooltip.includes(
				`Sync: stale (not updated since ${new Date(at).toLocaleTimeString()}: policy sync failed: the policy event stream answered 429: this account already has 50 policy event streams open; revision 7)`,
			),
			refused.tooltip.join('\n'),
		);
		assert.doesNotMatch(refused.accessibilityLabel, /offline/);
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
