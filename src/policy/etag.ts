import type { SchemaVersion } from './schema';
import { overlayFingerprint } from './overlays';

/**
 * ETags of policy documents name the revision and, from schema version 2 on, the version it is
 * written in: each version of a revision is its own representation. Version 1 keeps the quoted
 * revision number that members of the first release send back. A member's document made with group
 * overlays (schema 3) names them too, so a change of groups is a new representation.
 */
export function etagOf(revision: number, version: SchemaVersion = 1, appliedOverlays?: readonly string[]): string {
	// Members before schema 3 write their own If-None-Match from the revision alone: theirs stays as it was.
	const overlays = version >= 3 ? overlayFingerprint(appliedOverlays) : '';
	return version === 1 ? `"${revision}"` : `"${revision}.v${version}${overlays ? `.o${overlays}` : ''}"`;
}

function entityTags(header: string): string[] {
	return header
		.split(',')
		.map((tag) => tag.trim())
		.filter((tag) => tag.length > 0);
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): `W/"12"` matches revision 12. */
export function ifNoneMatchHits(
	header: string | undefined,
	revision: number,
	version: SchemaVersion = 1,
	appliedOverlays?: readonly string[],
): boolean {
	if (header === undefined) {
		return false;
	}
	const current = etagOf(revision, version, appliedOverlays);
	return entityTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === current);
}

/**
 * The newest revision a member says they hold, from the policy ETags in their If-None-Match
 * (`"12"`, `"12.v3"`, `W/"12.v3.oab"`): undefined when it names none.
 */
export function heldRevision(header: string | undefined): number | undefined {
	let held: number | undefined;
	for (const tag of header === undefined ? [] : entityTags(header)) {
		const match = /^(?:W\/)?"([1-9]\d{0,14})(?:\.v\d+(?:\.o[0-9a-z]+)?)?"$/.exec(tag);
		if (match) {
			held = Math.max(held ?? 0, Number(match[1]));
		}
	}
	return held;
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
