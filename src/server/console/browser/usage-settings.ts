import { $ } from './dom';

/**
 * The settings form's usage part: reporting as ticked, and the monthly budget where one is
 * entered. Left out while it was never set and stays unticked, so a save changes nothing there.
 */
export function usageChoice(): { usage?: { reporting: 'counts' | 'off'; budget?: { monthlyTokens: number; enforcement: string } } } {
	const box = $<HTMLInputElement>('#usage-reporting');
	const tokens = $<HTMLInputElement>('#budget-tokens').value.trim();
	if (!box.checked && !box.defaultChecked && !tokens) {
		return {};
	}
	const budget = tokens
		? { monthlyTokens: Number(tokens.replace(/[,_\s]/g, '')), enforcement: $<HTMLSelectElement>('#budget-enforcement').value }
		: undefined;
	return { usage: { reporting: box.checked ? 'counts' : 'off', ...(budget ? { budget } : {}) } };
}
