/** Sizes the policy may not exceed, and what no text field may hold. */
export const LIMITS = {
	nameLength: 200,
	urlLength: 2048,
	headerCount: 32,
	headerNameLength: 128,
	headerValueLength: 4096,
	modelCount: 200,
	modelNameLength: 200,
} as const;

// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
