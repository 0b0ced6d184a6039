import type { OrganizationTokenFacts } from './credentials';

/** The parameters of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3). */
export function bearerChallenge(header: string | null | undefined): { error?: string; description?: string } {
	if (!header || !/^\s*Bearer\b/i.test(header)) {
		return {};
	}
	const params: Record<string, string> = {};
	for (const match of header.matchAll(/([a-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
		params[match[1]!.toLowerCase()] = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
	}
	return {
		...(params.error ? { error: params.error } : {}),
		...(params.error_description ? { description: params.error_description } : {}),
	};
}

/** Words a gateway uses when it could not verify the signature with any key it has. */
const UNKNOWN_KEY = /\b(kid|key|jwks?|signature)\b/i;
const AUDIENCE = /\baud(iences?)?\b/i;
/** mod_auth_openidc and others answer every refusal with the same words: they say nothing. */
const GENERIC = /^(jwt )?(access )?token could not be validated\.?$|^invalid[ _]token$|^unauthori[sz]ed$/i;

/**
 * One sentence for a gateway's 401 to an organization token: from the token's own claims and the
 * gateway's challenge — expired, another audience, a key the gateway does not know, or the
 * gateway's own words — with who can fix it.
 */
export function explainTokenRefusal(
	host: string,
	facts: OrganizationTokenFacts | undefined,
	challenge: string | null | undefined,
	now: number,
	owner: string | undefined,
): string {
	const { error, description } = bearerChallenge(challenge);
	const admin = owner ? `tell ${owner}` : 'tell your admin';
	if (facts && facts.expiresAt <= now) {
		return `${host} refused the organization token because it expired at ${new Date(facts.expiresAt).toISOString()}: the next request gets a new one; if this repeats, this computer's clock is wrong.`;
	}
	if (description && AUDIENCE.test(description)) {
		return `${host} refused the organization token for its audience (${facts?.audience ?? 'unknown'}; the gateway says "${description}"): the policy's Audience must be what the gateway expects — ${admin}.`;
	}
	if (description && UNKNOWN_KEY.test(description) && !GENERIC.test(description)) {
		return `${host} could not verify the organization token's signature (key ${facts?.keyId ?? 'unknown'}; the gateway says "${description}"): the gateway must read the keys from ${keysOf(facts)} — ${admin}.`;
	}
	if (description && !GENERIC.test(description)) {
		return `${host} refused the organization token (401): "${description}" — ${admin}.`;
	}
	// A gateway that checked the signature and then the claims (mod_auth_openidc's `Require claim`)
	// answers without an invalid_token challenge: the audience is the claim the policy sets.
	const claims = error !== 'invalid_token' && facts !== undefined;
	return claims
		? `${host} accepted the organization token's signature but not its claims (401): it is for the audience ${facts.audience}, which the gateway does not accept — ${admin} to make the policy's Audience and the gateway's agree.`
		: `${host} refused the organization token (401${description ? `, "${description}"` : ''}): it is for the audience ${facts?.audience ?? 'unknown'} and signed with key ${facts?.keyId ?? 'unknown'}, so the gateway either expects another audience or does not read the keys from ${keysOf(facts)} — ${admin}.`;
}

function keysOf(facts: OrganizationTokenFacts | undefined): string {
	return facts?.issuer ? `${facts.issuer}/.well-known/jwks.json` : "the policy service's /.well-known/jwks.json";
}
