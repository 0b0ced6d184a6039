'use strict';
// Mocha's spec reporter, plus the run's totals written to $TEST_STATS_FILE so that
// scripts/test.mjs can print one "N passed, N failed" line for every suite it ran, and repeat
// each failure's title and message at the very end of the run (CI keeps only the output's tail).
const fs = require('node:fs');
const Mocha = require('mocha');

class CountingReporter extends Mocha.reporters.Spec {
	constructor(runner, options) {
		super(runner, options);
		const failures = [];
		runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error) => {
			const message = String((error && (error.stack || error.message)) || error)
				.split('\n')
				.slice(0, 12)
				.join('\n');
			failures.push({ title: test.fullTitle(), message });
		});
		runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
			const file = process.env.TEST_STATS_FILE;
			if (file) {
				const { passes, failures: failed, pending } = this.stats;
				fs.writeFileSync(file, JSON.stringify({ passed: passes, failed, skipped: pending, failures }));
			}
		});
	}
}

module.exports = CountingReporter;
