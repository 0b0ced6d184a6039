'use strict';
// The smallest extension: the baseline for load and activation in the same harness.
exports.activate = () => ({});
exports.deactivate = () => undefined;
