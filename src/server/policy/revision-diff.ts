import type { PolicySettings } from '../../policy';

export interface FieldChange {
	path: string;
	before?: string;
	after?: string;
}

export const MASK = '••••••';

/** A header value: its path, and whether its own revision called it readable. */
type Flattened = Map<string, { value: string; secret: boolean }>;

function flatten(value: unknown, prefix: string, out: Flattened, readable: ReadonlySet<string>, inHeaders = false): void {
	if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
		for (const [key, item] of Object.entries(value)) {
			const path = prefix ? `${prefix}.${key}` : key;
			if (inHeaders) {
				out.set(path, { value: JSON.stringify(item), secret: !readable.has(key.toLowerCase()) });
			} else {
				flatten(item, path, out, readable, key === 'headers');
			}
		}
	} else if (value !== undefined) {
		out.set(prefix, { value: JSON.stringify(value), secret: false });
	}
}

/** Header names an admin marked readable (not secret), lowercased. */
const readableOf = (settings: PolicySettings | undefined) =>
	new Set((settings?.provider?.readableHeaders ?? []).map((name) => name.toLowerCase()));

/**
 * The settings as they are compared: overlays by group (`overlays[Research].models.allowed`), with
 * their order as one field of its own, so moving an overlay reads as a new order, not as every
 * overlay changed.
 */
function comparable(settings: PolicySettings | undefined): Record<string, unknown> {
	const { overlays, ...rest } = settings ?? {};
	if (!overlays?.length) {
		return rest;
	}
	const byGroup = Object.fromEntries(overlays.map(({ group, ...overlay }) => [`overlays[${group}]`, overlay]));
	return { ...rest, 'overlays order': overlays.map((overlay) => overlay.group), ...byGroup };
}

function flattened(settings: PolicySettings | undefined): Flattened {
	const out: Flattened = new Map();
	const readable = readableOf(settings);
	for (const [key, value] of Object.entries(comparable(settings))) {
		flatten(value, key, out, readable, false);
	}
	return out;
}

/**
 * Field-by-field changes from one revision's settings to the next. A header value (the
 * organization's or an overlay's) is shown only if its own revision called that header readable:
 * marking a header readable later never reveals the value it had while it was secret.
 */
export function diffSettings(before: PolicySettings | undefined, after: PolicySettings): FieldChange[] {
	const [old, next] = [flattened(before), flattened(after)];
	const shown = (entry: { value: string; secret: boolean } | undefined) => (entry?.secret ? MASK : entry?.value);
	const paths = [...new Set([...old.keys(), ...next.keys()])].sort();
	const changes: FieldChange[] = [];
	for (const path of paths) {
		const [from, to] = [old.get(path), next.get(path)];
		if (from?.value === to?.value) {
			continue;
		}
		const [was, is] = [shown(from), shown(to)];
		changes.push({ path, ...(was !== undefined ? { before: was } : {}), ...(is !== undefined ? { after: is } : {}) });
	}
	return changes;
}

/** Headers with every secret value replaced by the mask. */
function maskedHeaders(headers: Record<string, string>, readable: ReadonlySet<string>): Record<string, string> {
	return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, readable.has(name.toLowerCase()) ? value : MASK]));
}

/** Settings with every secret header value replaced by the mask (readable ones kept), overlays' too: what the console may show. */
export function maskSettings(settings: PolicySettings): PolicySettings {
	if (!settings.provider) {
		return settings;
	}
	const readable = readableOf(settings);
	return {
		...settings,
		provider: { ...settings.provider, headers: maskedHeaders(settings.provider.headers, readable) },
		...(settings.overlays
			? {
					overlays: settings.overlays.map((overlay) =>
						overlay.headers ? { ...overlay, headers: maskedHeaders(overlay.headers, readable) } : overlay,
					),
				}
			: {}),
	};
}
