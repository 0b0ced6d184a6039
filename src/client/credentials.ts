/** How the client proves who the member is. Secrets are fetched per request and never stored here. */
export type CredentialSource =
	| { readonly kind: 'api-key'; getApiKey(): Promise<string | undefined> }
	| { readonly kind: 'entra'; getToken(): Promise<string> }
	| { readonly kind: 'none' };

export class MissingCredentialError extends Error {
	override readonly name = 'MissingCredentialError';
}

export function apiKeyCredential(getApiKey: () => Promise<string | undefined>): CredentialSource {
	return { kind: 'api-key', getApiKey };
}

export function entraCredential(getToken: () => Promise<string>): CredentialSource {
	return { kind: 'entra', getToken };
}

export const noCredential: CredentialSource = { kind: 'none' };
