import Mocha from 'mocha';
import { firstRun } from './first-run';
import { memberDay } from './member-day';
import { upgrade } from './upgrade';

/**
 * The extension-host entry (`extensionTestsPath`): the same for the Electron launcher and the
 * offline host. Mocha's report goes to the console, the totals to the launcher's control endpoint.
 */
export async function run(): Promise<void> {
	// The packaged run (launch.ts --packaged) drives a part of the member's day against the installed .vsix.
	const grep = process.env.ORG_POLICY_INTEGRATION_GREP;
	const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000, ...(grep ? { grep: new RegExp(grep) } : {}) });
	mocha.suite.emit('pre-require', globalThis, 'member-day', mocha);
	// launch.ts --first-run: a machine with no policy server, and nobody signed in yet.
	const upgradePhase = process.env.ORG_POLICY_INTEGRATION_UPGRADE;
	if (process.env.ORG_POLICY_INTEGRATION_FIRST_RUN === '1') {
		firstRun();
	} else if (upgradePhase === 'before' || upgradePhase === 'after') {
		// launch.ts --upgrade: VS Code with 0.2.0 installed, then again with this release installed over it.
		upgrade(upgradePhase);
	} else {
		memberDay();
	}
	// Each failure's title and message go to the launcher too, so the run's last lines name them.
	const failed: { title: string; message: string }[] = [];
	const { failures, stats } = await new Promise<{ failures: number; stats: Mocha.Stats | undefined }>((resolve) => {
		const runner = mocha.run((count) => resolve({ failures: count, stats: runner.stats }));
		runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error: Error) =>
			failed.push({
				title: test.fullTitle(),
				message: String(error.stack ?? error.message)
					.split('\n')
					.slice(0, 12)
					.join('\n'),
			}),
		);
	});
	await fetch(`${process.env.ORG_POLICY_TEST_CONTROL}/stats`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			passed: stats?.passes ?? 0,
			failed: stats?.failures ?? failures,
			skipped: stats?.pending ?? 0,
			failures: failed,
		}),
	}).catch(() => undefined);
	if (failures > 0) {
		throw new Error(`${failures} integration test(s) failed`);
	}
}
