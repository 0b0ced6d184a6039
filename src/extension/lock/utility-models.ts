// VS Code's own utility-model settings as this extension manages them: pure, so it is tested without VS Code.

/**
 * What to do with one setting: the policy's value (`vendor/id`, or undefined when it names none),
 * what this extension last wrote there, and what the member's user settings hold now.
 * A new value from the policy is written once; a member's own later choice is left alone (an
 * extension cannot lock another product's setting: the console shows it instead); a value the
 * policy stopped naming is removed only while it is still the one this extension wrote.
 */
export function planUtilitySetting(
	desired: string | undefined,
	written: string | undefined,
	current: string | undefined,
): { write?: string | null; written: string | undefined } {
	if (desired !== undefined && desired !== written) {
		return { write: desired, written: desired };
	}
	if (desired === undefined && written !== undefined) {
		return current === written ? { write: null, written: undefined } : { written: undefined };
	}
	return { written };
}
