import type { FieldError, Overlay } from '../../policy';

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

/**
 * Overlays as the console sends them: a header value sent empty keeps the value that header has in
 * the saved overlay of the same group (the console never receives secret values). A header sent
 * empty without a saved value is refused, naming the field.
 */
export function restoreKeptOverlayHeaderValues(input: unknown, saved: readonly Overlay[]): KeptHeadersResult {
	if (!isRecord(input) || !Array.isArray(input['overlays'])) {
		return { ok: true, value: input };
	}
	const errors: FieldError[] = [];
	const overlays = input['overlays'].map((overlay: unknown, index) => {
		if (!isRecord(overlay) || !isRecord(overlay['headers']) || typeof overlay['group'] !== 'string') {
			return overlay;
		}
		const group = overlay['group'].toLowerCase();
		const before = saved.find((candidate) => candidate.group.toLowerCase() === group)?.headers ?? {};
		const headers: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, overlay['headers']);
		for (const [name, value] of Object.entries(headers)) {
			if (value !== '') {
				continue;
			}
			const kept = Object.entries(before).find(([savedName]) => savedName.toLowerCase() === name.toLowerCase());
			if (kept) {
				headers[name] = kept[1];
			} else {
				errors.push({ path: `overlays[${index}].headers.${name}`, message: 'enter a value (this header has no saved value)' });
			}
		}
		return { ...overlay, headers: { ...headers } };
	});
	return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { ...input, overlays } };
}

/** The settings page edits everything but the overlays: they are kept as saved. */
export function withSavedOverlays(
	input: unknown,
	saved: { overlays?: Overlay[] | undefined; overlaysMayChangeEndpoint?: boolean | undefined },
): unknown {
	if (!isRecord(input)) {
		return input;
	}
	const { overlays: _overlays, overlaysMayChangeEndpoint: _endpoint, ...rest } = input;
	return {
		...rest,
		...(saved.overlays?.length ? { overlays: saved.overlays } : {}),
		...(saved.overlaysMayChangeEndpoint !== undefined ? { overlaysMayChangeEndpoint: saved.overlaysMayChangeEndpoint } : {}),
	};
}
