import type { SchemaVersion } from './schema';

/**
 * ETags of policy documents name the revision and, from schema version 2 on, the version it is
 * written in: each version of a revision is its own representation. Version 1 keeps the quoted
 * revision number that members of the first release send back.
 */
export function etagOf(revision: number, version: SchemaVersion = 1): string {
	return version === 1 ? `"${revision}"` : `"${revision}.v${version}"`;
}

function entityTags(header: string): string[] {
	return header
		.split(',')
		.map((tag) => tag.trim())
		.filter((tag) => tag.length > 0);
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): `W/"12"` matches revision 12. */
export function ifNoneMatchHits(header: string | undefined, revision: number, version: SchemaVersion = 1): boolean {
	if (header === undefined) {
		return false;
	}
	const current = etagOf(revision, version);
	return entityTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === current);
}

export type IfMatch = { kind: 'absent' } | { kind: 'any' } | { kind: 'revision'; revision: number } | { kind: 'invalid' };

/**
 * If-Match uses strong comparison (RFC 9110 §8.8.3.2): only `"N"`, exactly as an ETag writes
 * revision N, names it (`"034"` is not `"34"`).
 */
export function parseIfMatch(header: string | undefined): IfMatch {
	if (header === undefined || header.trim() === '') {
		return { kind: 'absent' };
	}
	if (header.trim() === '*') {
		return { kind: 'any' };
	}
	const match = /^"(0|[1-9]\d{0,14})"$/.exec(header.trim());
	return match ? { kind: 'revision', revision: Number(match[1]) } : { kind: 'invalid' };
}
