import type { CredentialSource, OrganizationTokenCredential } from './credentials';
import type { EffectiveProvider } from './effective-provider';
import type { EndpointPlan } from './endpoint';
import type { FetchFunction } from './http';

/**
 * How each kind of member credential goes on the wire: which header carries it, which the SDK must
 * leave out, and what of the member's environment may not add one.
 */

export const NO_KEY = 'no-member-key';

/** Whether an organization token goes as `Authorization: Bearer` (the SDK's own way of sending a token). */
const sentAsBearer = (credential: OrganizationTokenCredential) => credential.header.toLowerCase() === 'authorization';

/** A token provider for the SDK: an Entra ID token, or an organization token sent as a bearer token. */
export function bearerTokenProvider(credential: CredentialSource): (() => Promise<string>) | undefined {
	if (credential.kind === 'entra' || (credential.kind === 'organization-token' && sentAsBearer(credential))) {
		return () => credential.getToken();
	}
	return undefined;
}

/** The fetch of a client whose organization token travels in a header of the policy's choosing: set per request, so a renewed token is sent. */
export function withTokenHeader(fetch: FetchFunction, credential: CredentialSource): FetchFunction {
	if (credential.kind !== 'organization-token' || sentAsBearer(credential)) {
		return fetch;
	}
	return async (input, init) => {
		const headers = new Headers(init?.headers);
		headers.set(credential.header, await credential.getToken());
		return fetch(input, { ...init, headers });
	};
}
export function credentialHeaders(
	provider: EffectiveProvider,
	plan: EndpointPlan,
	credential: CredentialSource,
): Record<string, string | null> {
	// The SDK always sends some credential header; with no member credential it must send none,
	// unless the policy's own headers carry one (a gateway's shared scheme).
	if (credential.kind === 'organization-token' && !sentAsBearer(credential)) {
		// The token travels in its own header (added per request): no other credential header goes.
		return { authorization: null, ...(plan.style !== 'openai' ? { 'api-key': null } : {}) };
	}
	if (credential.kind !== 'none') {
		return plan.style === 'azure-v1' && credential.kind === 'api-key' ? { authorization: null } : {};
	}
	const own = new Set(Object.keys(provider.headers).map((name) => name.toLowerCase()));
	return {
		...(own.has('authorization') ? {} : { authorization: null }),
		...(plan.style !== 'openai' && !own.has('api-key') ? { 'api-key': null } : {}),
	};
}

/**
 * The names of the headers OPENAI_CUSTOM_HEADERS would add, set to null so the SDK sends none
 * of them (the policy's own headers, merged after, still win).
 */
export function environmentHeadersRemoved(env: NodeJS.ProcessEnv = process.env): Record<string, null> {
	const names = (env.OPENAI_CUSTOM_HEADERS ?? '')
		.split('\n')
		.map((line) => line.slice(0, line.indexOf(':')).trim())
		.filter((name) => name.length > 0 && !name.includes(' '));
	return Object.fromEntries(names.map((name) => [name, null]));
}
