/** How the client proves who the member is. Secrets are fetched per request and never stored here. */
export type CredentialSource =
	| { readonly kind: 'api-key'; getApiKey(): Promise<string | undefined> }
	| { readonly kind: 'entra'; getToken(): Promise<string> }
	| { readonly kind: 'none' };

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

export const noCredential: CredentialSource = { kind: 'none' };
