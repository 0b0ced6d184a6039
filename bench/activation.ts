/**
 * Extension start: bundle sizes, and the time to load and activate with a cached policy. Measured
 * with the `vscode` module stubbed (module load + activate(), in a fresh process per run), against
 * an empty extension in the same harness; the extension-host figure is not measured here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureFile } from './support/activation-fixture';
import { mean, percentile, report, root, smoke } from './support/common';

const RUNS = smoke ? 3 : 30;

interface Sample {
	loadMs: number;
	activateMs: number;
	azureLoaded: boolean;
	cachedRevision: number | null;
	revisionAtActivation: number | null;
	/** Loading dist/extension-main.js after activation (not part of load + activate). */
	mainLoadMs: number;
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
		// What activation loads, and the rest of the extension loaded right after it.
		const bundleText = readFileSync(bundle, 'utf8') + readFileSync(join(root, 'dist', 'extension-main.js'), 'utf8');
		const zodAtActivation = readFileSync(bundle, 'utf8').includes('ZodError');
		const identityInMain = bundleText.includes('ChainedTokenCredential') || bundleText.includes('DeviceCodeCredential');
		const sdkInMain = bundleText.includes('AzureOpenAI');
		const azureAtActivation = ours.some((s) => s.azureLoaded);
		const cachedApplied = ours.every((s) => s.cachedRevision === 7 && s.revisionAtActivation === 7);
		const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
		report({
			name: 'activation',
			markdown: [
				`Measured with the \`vscode\` module stubbed: a fresh Node process per run loads \`dist/extension.js\` and calls \`activate()\` with a signed-in session and a cached policy (revision 7) in its secret storage and global state; ${RUNS} runs. The baseline is an empty extension in the same harness. The VS Code extension host's own start-up is not part of these figures. Activation checks the cached policy with the validators generated at build time (\`dist/policy-validators.js\`) and puts it in force; every feature is in \`dist/extension-main.js\`, loaded right after activation or on first use (and checked there again with zod), which these figures do not include: its load is the module load of the previous releases, about ${mean(ours.map((s) => s.mainLoadMs)).toFixed(0)} ms here.`,
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
				`| dist/extension.js (activation bundle) | ${kb(size('extension.js'))} |`,
				`| dist/policy-validators.js (generated, loaded at activation) | ${kb(size('policy-validators.js'))} |`,
				`| dist/extension-main.js (every feature, loaded after activation) | ${kb(size('extension-main.js'))} |`,
				`| dist/http.js (undici, loaded on the first request) | ${kb(size('http.js'))} |`,
				`| dist/chat-client.js (openai SDK, loaded on the first chat) | ${kb(size('chat-client.js'))} |`,
				`| dist/entra.js (loaded only for Entra ID) | ${kb(size('entra.js'))} |`,
				`| dist/webview/chat.js (the chat view) | ${kb(size('webview/chat.js'))} |`,
				'',
				`Cached policy applied at activation in every run (in force when \`activate()\` returns, and the same revision after the full check): ${cachedApplied ? 'yes' : 'no'}. zod in the activation bundle: ${zodAtActivation ? 'yes' : 'no'}. \`@azure/identity\` loaded at activation: ${azureAtActivation ? 'yes' : 'no'}; its code in the main bundle: ${identityInMain ? 'yes' : 'no'}. The openai SDK in the main bundle: ${sdkInMain ? 'yes' : 'no'}.`,
			].join('\n'),
			targets: [
				{
					description: 'activation (load + activate) ≤ 20 ms',
					met: percentile(total(ours), 50) <= 20,
					measured: `${percentile(total(ours), 50).toFixed(1)} ms median`,
				},
				{ description: 'activation bundle ≤ 2 MB', met: size('extension.js') <= 2 * 1024 * 1024, measured: kb(size('extension.js')) },
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
