/** How the client proves who the member is. Secrets are fetched per request and never stored here. */
export type CredentialSource =
	| { readonly kind: 'api-key'; getApiKey(): Promise<string | undefined> }
	| { readonly kind: 'entra'; getToken(): Promise<string> }
	| OrganizationTokenCredential
	| { readonly kind: 'none' };

/** What the member's copy of an organization token says, for explaining a gateway's refusal. */
export interface OrganizationTokenFacts {
	readonly audience: string;
	/** Milliseconds since the epoch. */
	readonly expiresAt: number;
	readonly keyId: string | undefined;
	readonly issuer: string | undefined;
}

/** A short-lived token the policy service issued the member, sent in the header the policy names. */
export interface OrganizationTokenCredential {
	readonly kind: 'organization-token';
	/** `Authorization` (sent as `Bearer <token>`) or the header that carries the bare token. */
	readonly header: string;
	getToken(): Promise<string>;
	/** The endpoint refused the token: the next request gets a new one. */
	discard(): void;
	/** The token last sent, if any. */
	facts(): OrganizationTokenFacts | undefined;
}

export class MissingCredentialError extends Error {
	override readonly name = 'MissingCredentialError';
}

/**
 * No token could be had (Entra ID): the message is the one sentence the member needs; the long
 * chain of what was tried goes to the output channel, never to a toast or the chat. Recognized by
 * name, since it is thrown in the extension's bundle and explained in the client's.
 */
export class SignInRequiredError extends Error {
	override readonly name = 'SignInRequiredError';
}

export function apiKeyCredential(getApiKey: () => Promise<string | undefined>): CredentialSource {
	return { kind: 'api-key', getApiKey };
}

export function entraCredential(getToken: () => Promise<string>): CredentialSource {
	return { kind: 'entra', getToken };
}

export function organizationTokenCredential(source: Omit<OrganizationTokenCredential, 'kind'>): CredentialSource {
	return {
		kind: 'organization-token',
		header: source.header,
		getToken: () => source.getToken(),
		discard: () => source.discard(),
		facts: () => source.facts(),
	};
}

export const noCredential: CredentialSource = { kind: 'none' };
