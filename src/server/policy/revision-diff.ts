import type { PolicySettings } from '../../policy';

export interface FieldChange {
	path: string;
	before?: string;
	after?: string;
}

export const MASK = '••••••';

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
	if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
		for (const [key, item] of Object.entries(value)) {
			flatten(item, prefix ? `${prefix}.${key}` : key, out);
		}
	} else if (value !== undefined) {
		out.set(prefix, JSON.stringify(value));
	}
}

/** Header names an admin marked readable (not secret), lowercased. */
const readableOf = (settings: PolicySettings | undefined) =>
	new Set((settings?.provider?.readableHeaders ?? []).map((name) => name.toLowerCase()));

/**
 * Field-by-field changes from one revision's settings to the next. A header value is shown only if
 * its own revision called that header readable: marking a header readable later never reveals the
 * value it had while it was secret.
 */
export function diffSettings(before: PolicySettings | undefined, after: PolicySettings): FieldChange[] {
	const old = new Map<string, string>();
	const next = new Map<string, string>();
	flatten(before ?? {}, '', old);
	flatten(after, '', next);
	const shown = (settings: PolicySettings | undefined) => {
		const readable = readableOf(settings);
		return (path: string, value: string | undefined) =>
			value === undefined || !path.startsWith('provider.headers.') || readable.has(path.slice('provider.headers.'.length).toLowerCase())
				? value
				: MASK;
	};
	const [showBefore, showAfter] = [shown(before), shown(after)];
	const paths = [...new Set([...old.keys(), ...next.keys()])].sort();
	const changes: FieldChange[] = [];
	for (const path of paths) {
		const [from, to] = [old.get(path), next.get(path)];
		if (from === to) {
			continue;
		}
		const [was, is] = [showBefore(path, from), showAfter(path, to)];
		changes.push({ path, ...(was !== undefined ? { before: was } : {}), ...(is !== undefined ? { after: is } : {}) });
	}
	return changes;
}

/** Settings with every secret header value replaced by the mask (readable ones kept): what the console may show. */
export function maskSettings(settings: PolicySettings): PolicySettings {
	if (!settings.provider) {
		return settings;
	}
	const readable = readableOf(settings);
	const headers = Object.fromEntries(
		Object.entries(settings.provider.headers).map(([name, value]) => [name, readable.has(name.toLowerCase()) ? value : MASK]),
	);
	return { ...settings, provider: { ...settings.provider, headers } };
}
