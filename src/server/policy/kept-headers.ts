import type { FieldError } from '../../policy';

export type KeptHeadersResult = { ok: true; value: unknown } | { ok: false; errors: FieldError[] };

/**
 * The console never receives saved secret header values: for each header the admin left untouched
 * it names the header in `keep` (with the value left empty), and the saved value is put back before
 * the settings are validated. A header named without a saved value is refused, naming the field.
 */
export function restoreKeptHeaderValues(
	input: unknown,
	keep: readonly string[],
	saved: Readonly<Record<string, string>>,
): KeptHeadersResult {
	if (keep.length === 0 || !isRecord(input) || !isRecord(input['provider'])) {
		return { ok: true, value: input };
	}
	const provider = input['provider'];
	const headers = provider['headers'];
	if (!isRecord(headers)) {
		return { ok: true, value: input };
	}
	// Own properties only, copied without a prototype: a header named __proto__ is only a name here.
	const restored: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, headers);
	const errors: FieldError[] = [];
	for (const name of keep) {
		if (!Object.hasOwn(restored, name) || restored[name] !== '') {
			continue;
		}
		if (Object.hasOwn(saved, name)) {
			restored[name] = saved[name];
		} else {
			errors.push({ path: `provider.headers.${name}`, message: 'enter a value (this header has no saved value)' });
		}
	}
	if (errors.length > 0) {
		return { ok: false, errors };
	}
	return { ok: true, value: { ...input, provider: { ...provider, headers: { ...restored } } } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
