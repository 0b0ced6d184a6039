import type { ModelSettings } from '../../policy';
import { MODEL_LABELS, shown } from '../policy/revision-words';

/** The per-model settings the console's table has a control for. */
const IN_THE_TABLE: ReadonlySet<string> = new Set([
	'displayName',
	'contextWindow',
	'maxOutputTokens',
	'toolCalling',
	'imageInput',
	'reasoning',
	'api',
	'reasoningSummary',
]);

/**
 * A model's settings the table has no control for (set through the admin API or a policy file:
 * `store`, the efforts members may pick, parameters pinned or removed, the tokenizer). The row
 * carries them so that saving the form keeps them instead of quietly dropping them.
 */
export function settingsBeyondTheTable(settings: ModelSettings | undefined): Record<string, unknown> {
	const kept: Record<string, unknown> = {};
	for (const [field, value] of Object.entries(settings ?? {})) {
		if (IN_THE_TABLE.has(field) || value === undefined || (field === 'forbidden' && (value as unknown[]).length === 0)) {
			continue;
		}
		if (field === 'pinned') {
			// The table shows the pinned reasoning effort; any other pinned parameter is kept.
			const { reasoning_effort: _inTheTable, ...others } = value as Record<string, unknown>;
			if (Object.keys(others).length > 0) {
				kept[field] = others;
			}
			continue;
		}
		kept[field] = value;
	}
	return kept;
}

/** A kept value as the revision history shows one: switches as on/off, lists comma-separated. */
const inWords = (value: unknown) => shown(JSON.stringify(value));

/** Each kept setting in the console's words, with the path the service names it by when it refuses it. */
export function describeBeyondTheTable(kept: Record<string, unknown>): { field: string; words: string }[] {
	return Object.entries(kept).flatMap(([field, value]) =>
		field === 'pinned'
			? Object.entries(value as Record<string, unknown>).map(([name, pinned]) => ({
					field: `pinned.${name}`,
					words: `${name} pinned at ${inWords(pinned)}`,
				}))
			: [{ field, words: `${MODEL_LABELS[field] ?? field}: ${inWords(value)}` }],
	);
}
