// The built activation bundle (dist/extension.js, issue #31) in a fresh Node process with the
// `vscode` module stubbed, as bench/activation.ts measures it: what is in force when activate()
// returns, before the rest of the extension has loaded, and once it has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureFile } from '../../bench/support/activation-fixture';

const root = join(__dirname, '..', '..');

interface Activation {
	statusAtActivation: string;
	revisionAtActivation: number | null;
	loadedAtActivation: string[];
	status: string;
	locked: boolean;
	cachedRevision: number | null;
	headersAtActivation: Record<string, string> | null;
	headers: Record<string, string> | null;
	effectiveHeaders: Record<string, string> | null;
	syncStateHeaders: Record<string, string> | null;
}

describe('the built activation bundle', () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), 'opp-activation-'));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	const activate = (fixture: string): Activation =>
		JSON.parse(
			execFileSync(process.execPath, [join(root, 'bench/support/activate-once.cjs'), join(root, 'dist/extension.js'), fixture], {
				encoding: 'utf8',
				env: { ...process.env, ORG_PROVIDER_POLICY_BOOTSTRAP: '/nonexistent' },
			}),
		) as Activation;

	it('puts the cached policy in force before the rest loads, without zod or any feature', () => {
		const result = activate(fixtureFile(dir));
		assert.equal(result.revisionAtActivation, 7);
		assert.deepEqual(result.loadedAtActivation.sort(), ['activate-once.cjs', 'extension.js', 'policy-validators.js']);
		assert.equal(result.cachedRevision, 7, 'the same revision once the rest has loaded and checked it fully');
		assert.equal(result.locked, true);
	});

	it("hides the policy's custom header values from other extensions, before and after the rest loads", () => {
		const result = activate(fixtureFile(dir));
		const hidden = { 'X-Tenant': '••••••' };
		assert.deepEqual(
			[result.headersAtActivation, result.headers, result.effectiveHeaders, result.syncStateHeaders],
			[hidden, hidden, hidden, hidden],
		);
	});

	it('is locked, unable to verify, from activation on when the cached policy was altered', () => {
		const result = activate(
			fixtureFile(dir, (envelope) => {
				envelope.policy.enabled = false;
			}),
		);
		assert.equal(result.statusAtActivation, 'cannot-verify');
		assert.equal(result.revisionAtActivation, null);
		assert.equal(result.status, 'cannot-verify');
		assert.equal(result.locked, true);
	});
});
