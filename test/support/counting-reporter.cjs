'use strict';
// Mocha's spec reporter, plus the run's totals written to $TEST_STATS_FILE so that
// scripts/test.mjs can print one "N passed, N failed" line for every suite it ran.
const fs = require('node:fs');
const Mocha = require('mocha');

class CountingReporter extends Mocha.reporters.Spec {
	constructor(runner, options) {
		super(runner, options);
		runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
			const file = process.env.TEST_STATS_FILE;
			if (file) {
				const { passes, failures, pending } = this.stats;
				fs.writeFileSync(file, JSON.stringify({ passed: passes, failed: failures, skipped: pending }));
			}
		});
	}
}

module.exports = CountingReporter;
