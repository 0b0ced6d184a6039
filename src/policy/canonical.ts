/**
 * Canonical JSON (RFC 8785 / JCS for the value space the policy uses): object keys sorted by
 * UTF-16 code units, no insignificant white space, ECMAScript number and string serialization.
 * Signatures are computed over these bytes, so both programs must agree on them exactly.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class CanonicalEncodingError extends Error {
	override readonly name = 'CanonicalEncodingError';
}

export function canonicalJson(value: unknown): string {
	return encode(value, '$');
}

function encode(value: unknown, path: string): string {
	if (value === null || typeof value === 'boolean' || typeof value === 'string') {
		return JSON.stringify(value);
	}
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) {
			throw new CanonicalEncodingError(`${path}: ${value} has no JSON representation`);
		}
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) {
		return `[${value.map((item, index) => encode(item, `${path}[${index}]`)).join(',')}]`;
	}
	if (typeof value === 'object' && isPlainObject(value)) {
		const entries = Object.keys(value)
			.filter((key) => (value as Record<string, unknown>)[key] !== undefined)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], `${path}.${key}`)}`);
		return `{${entries.join(',')}}`;
	}
	throw new CanonicalEncodingError(`${path}: a value of type ${typeof value} has no JSON representation`);
}

function isPlainObject(value: object): boolean {
	const prototype: unknown = Object.getPrototypeOf(value);
	return prototype === Object.prototype || prototype === null;
}
