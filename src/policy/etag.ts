/** ETags of policy documents are the quoted revision number. */
export function etagOf(revision: number): string {
	return `"${revision}"`;
}

function entityTags(header: string): string[] {
	return header
		.split(',')
		.map((tag) => tag.trim())
		.filter((tag) => tag.length > 0);
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): `W/"12"` matches revision 12. */
export function ifNoneMatchHits(header: string | undefined, revision: number): boolean {
	if (header === undefined) {
		return false;
	}
	const current = etagOf(revision);
	return entityTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === current);
}

export type IfMatch = { kind: 'absent' } | { kind: 'any' } | { kind: 'revision'; revision: number } | { kind: 'invalid' };

/** If-Match uses strong comparison: only `"N"` names revision N. */
export function parseIfMatch(header: string | undefined): IfMatch {
	if (header === undefined || header.trim() === '') {
		return { kind: 'absent' };
	}
	if (header.trim() === '*') {
		return { kind: 'any' };
	}
	const match = /^"(\d{1,15})"$/.exec(header.trim());
	return match ? { kind: 'revision', revision: Number(match[1]) } : { kind: 'invalid' };
}
