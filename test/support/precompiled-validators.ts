import { createRequire } from 'node:module';
import type { PrecompiledValidators } from '../../src/policy/precompiled-verification';
import { precompiledValidatorsSource } from '../../scripts/precompiled-validators';

/** The generated validators of the activation path, evaluated as dist/policy-validators.js is at run time. */
export function loadPrecompiledValidators(): PrecompiledValidators {
	const module = { exports: {} as PrecompiledValidators };
	new Function('module', 'exports', 'require', precompiledValidatorsSource())(module, module.exports, createRequire(__filename));
	return module.exports;
}
