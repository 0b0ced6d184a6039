import type { PolicySettings } from '../policy';

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

const isSecret = (path: string) => path.startsWith('provider.headers.');

/** Field-by-field changes from one revision's settings to the next; header values masked. */
export function diffSettings(before: PolicySettings | undefined, after: PolicySettings): FieldChange[] {
	const old = new Map<string, string>();
	const next = new Map<string, string>();
	flatten(before ?? {}, '', old);
	flatten(after, '', next);
	const paths = [...new Set([...old.keys(), ...next.keys()])].sort();
	const changes: FieldChange[] = [];
	for (const path of paths) {
		const [from, to] = [old.get(path), next.get(path)];
		if (from === to) {
			continue;
		}
		const show = (value: string | undefined) => (value === undefined ? undefined : isSecret(path) ? MASK : value);
		changes.push({ path, ...(from !== undefined ? { before: show(from) } : {}), ...(to !== undefined ? { after: show(to) } : {}) });
	}
	return changes;
}

/** Settings with every header value replaced by the mask: what the console may show. */
export function maskSettings(settings: PolicySettings): PolicySettings {
	if (!settings.provider) {
		return settings;
	}
	const headers = Object.fromEntries(Object.keys(settings.provider.headers).map((name) => [name, MASK]));
	return { ...settings, provider: { ...settings.provider, headers } };
}
