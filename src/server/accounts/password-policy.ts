import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;

let common: Set<string> | undefined;

/**
 * The common and breached passwords zxcvbn-ts ships (about 49,000), loaded on first use: the
 * package decompresses every dictionary when it is loaded (about 25 ms), which a restart need not pay.
 */
function commonPasswords(): Set<string> {
	if (!common) {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: typeof Dictionary };
		common = new Set(dictionary['passwords-common'].map((password) => password.toLowerCase()));
	}
	return common;
}

function isSequence(value: string): boolean {
	const steps = new Set([...value].slice(1).map((char, index) => char.charCodeAt(0) - value.charCodeAt(index)));
	return steps.size === 1 && [0, 1, -1].includes([...steps][0]!);
}

/**
 * Why a new password is refused, per NIST SP 800-63B §5.1.1.2: too short, a common or breached
 * password (also with digits or symbols added around it), one character repeated or a run
 * (aaaa…, 1234…), or little more than a word of this context (the email's name, the organization).
 */
export function passwordProblem(password: string, context: readonly string[]): string | undefined {
	if (password.length < MIN_PASSWORD_LENGTH) {
		return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
	}
	const lower = password.toLowerCase();
	const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
	if (commonPasswords().has(lower) || (core.length >= 4 && commonPasswords().has(core))) {
		return 'is a commonly used password; choose another (a few unrelated words make a good one)';
	}
	if (isSequence(lower)) {
		return 'is a repeated character or a sequence; choose another';
	}
	for (const word of context.map((candidate) => candidate.toLowerCase()).filter((candidate) => candidate.length >= 4)) {
		if (lower.includes(word) && lower.length - word.length <= 4) {
			return `is too close to "${word}"; choose something unrelated to your account`;
		}
	}
	return undefined;
}
