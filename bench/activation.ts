/**
 * Extension start: bundle sizes, and the time to load and activate with a cached policy. Measured
 * with the `vscode` module stubbed (module load + activate(), in a fresh process per run), against
 * an empty extension in the same harness; the extension-host figure is not measured here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPolicyDocument, canonicalJson, generateSigningKeyPair, PolicySettingsSchema, signPolicy } from '../src/policy';
import { mean, percentile, report, root, smoke } from './support/common';

const RUNS = smoke ? 3 : 30;

interface Sample {
	loadMs: number;
	activateMs: number;
	azureLoaded: boolean;
	cachedRevision: number | null;
}

function fixtureFile(dir: string): string {
	const keys = generateSigningKeyPair();
	const document = buildPolicyDocument(
		PolicySettingsSchema.parse({
			enabled: true,
			provider: {
				id: 'openai-compatible',
				baseUrl: 'https://acme.openai.azure.com',
				headers: { 'X-Tenant': 'acme' },
				azure: { apiVersion: '2024-06-01' },
				models: { allowed: ['gpt-4o'] },
			},
		}),
		{
			organization: { id: 'acme', name: 'Acme Corp' },
			revision: 7,
			updatedAt: '2026-11-26T10:00:00Z',
			updatedBy: 'admin@acme.example',
		},
	);
	const session = {
		// Unreachable on purpose: activation must not wait for the network.
		serverUrl: 'http://127.0.0.1:9',
		accessToken: 'opp_at_bench',
		refreshToken: 'opp_rt_bench',
		expiresAt: Date.now() + 3600_000,
		organization: { id: 'acme', name: 'Acme Corp' },
		account: { id: 'u1', email: 'dev@acme.example', role: 'member' },
		signingKey: keys.publicKey,
	};
	const file = join(dir, 'fixture.json');
	writeFileSync(
		file,
		JSON.stringify({
			secrets: {
				'orgProviderPolicy.session': JSON.stringify(session),
				'orgProviderPolicy.pin': JSON.stringify({ organizationId: 'acme', signingKey: keys.publicKey, highestRevision: document.revision }),
			},
			globalState: {
				'orgProviderPolicy.cache.acme': {
					envelope: JSON.parse(canonicalJson(signPolicy(document, keys.privateKeyPem))),
					receivedAt: Date.now(),
				},
			},
		}),
	);
	return file;
}

function sample(bundle: string, fixture: string | undefined): Sample {
	const output = execFileSync(process.execPath, [join(root, 'bench/support/activate-once.cjs'), bundle, ...(fixture ? [fixture] : [])], {
		encoding: 'utf8',
		env: { ...process.env, ORG_PROVIDER_POLICY_BOOTSTRAP: '/nonexistent' },
	});
	return JSON.parse(output) as Sample;
}

function main(): void {
	const dir = mkdtempSync(join(tmpdir(), 'opp-bench-activation-'));
	try {
		const fixture = fixtureFile(dir);
		const bundle = join(root, 'dist', 'extension.js');
		const empty = join(root, 'bench/support/empty-extension.cjs');
		const ours: Sample[] = [];
		const baseline: Sample[] = [];
		for (let i = 0; i < RUNS; i++) {
			baseline.push(sample(empty, undefined));
			ours.push(sample(bundle, fixture));
		}
		const total = (samples: Sample[]) => samples.map((s) => s.loadMs + s.activateMs);
		const activation = ours.map((s) => s.activateMs);
		const size = (file: string) => statSync(join(root, 'dist', file)).size;
		const bundleText = readFileSync(bundle, 'utf8');
		const identityInMain = bundleText.includes('ChainedTokenCredential') || bundleText.includes('DeviceCodeCredential');
		const sdkInMain = bundleText.includes('AzureOpenAI');
		const azureAtActivation = ours.some((s) => s.azureLoaded);
		const cachedApplied = ours.every((s) => s.cachedRevision === 7);
		const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
		report({
			name: 'activation',
			markdown: [
				`Measured with the \`vscode\` module stubbed: a fresh Node process per run loads \`dist/extension.js\` and calls \`activate()\` with a signed-in session and a cached policy (revision 7) in its secret storage and global state; ${RUNS} runs. The baseline is an empty extension in the same harness. The VS Code extension host's own start-up is not part of these figures.`,
				'',
				'| measure | ours | empty extension |',
				'| --- | ---: | ---: |',
				`| load + activate, median | ${percentile(total(ours), 50).toFixed(1)} ms | ${percentile(total(baseline), 50).toFixed(2)} ms |`,
				`| activate() alone, median / p90 | ${percentile(activation, 50).toFixed(1)} ms / ${percentile(activation, 90).toFixed(1)} ms | ${percentile(
					baseline.map((s) => s.activateMs),
					50,
				).toFixed(2)} ms |`,
				`| module load, mean | ${mean(ours.map((s) => s.loadMs)).toFixed(1)} ms | ${mean(baseline.map((s) => s.loadMs)).toFixed(2)} ms |`,
				'',
				'| file | size |',
				'| --- | ---: |',
				`| dist/extension.js (main bundle) | ${kb(size('extension.js'))} |`,
				`| dist/http.js (undici, loaded on the first request) | ${kb(size('http.js'))} |`,
				`| dist/chat-client.js (openai SDK, loaded on the first chat) | ${kb(size('chat-client.js'))} |`,
				`| dist/entra.js (loaded only for Entra ID) | ${kb(size('entra.js'))} |`,
				`| dist/webview/chat.js (the chat view) | ${kb(size('webview/chat.js'))} |`,
				'',
				`Cached policy applied at activation in every run: ${cachedApplied ? 'yes' : 'no'}. \`@azure/identity\` loaded at activation: ${azureAtActivation ? 'yes' : 'no'}; its code in the main bundle: ${identityInMain ? 'yes' : 'no'}. The openai SDK in the main bundle: ${sdkInMain ? 'yes' : 'no'}.`,
			].join('\n'),
			targets: [
				{
					description: 'activation (load + activate) ≤ 50 ms',
					met: percentile(total(ours), 50) <= 50,
					measured: `${percentile(total(ours), 50).toFixed(1)} ms median`,
				},
				{ description: 'main bundle ≤ 2 MB', met: size('extension.js') <= 2 * 1024 * 1024, measured: kb(size('extension.js')) },
				{
					description: '@azure/identity not loaded at activation, nor in the main bundle',
					met: !azureAtActivation && !identityInMain,
					measured: azureAtActivation || identityInMain ? 'loaded' : 'not loaded',
				},
				{ description: 'the cached policy is applied at activation', met: cachedApplied, measured: cachedApplied ? 'yes' : 'no' },
			],
		});
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

main();
