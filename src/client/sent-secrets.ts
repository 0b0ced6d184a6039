import type { CredentialSource } from './credentials';
import type { EffectiveProvider } from './effective-provider';
import type { FetchFunction } from './http';
import { ChatRequestError } from './request-error';

const MASK = '••••••';
/** Shorter values are left as they are: masking every "eu" or "42" in an error would garble it, and no key is that short. */
const SHORTEST = 8;
/** Credentials renew (Entra ID and organization tokens): the newest few are enough, and the set stays small. */
const CREDENTIALS_KEPT = 8;

/**
 * What a client sent in confidence: the member's key or token, and the policy's header values
 * other than those it calls readable. Some gateways and proxies repeat a request's headers in
 * their error ("invalid header … received …"); the endpoint's words are shown to the member,
 * written to the log and copied with the error's details, so these values are masked in them.
 */
export class SentSecrets {
	private readonly policyValues: string[] = [];
	private readonly credentials: string[] = [];
	private readonly credentialHeaders: string[];

	constructor(provider: EffectiveProvider, credential: CredentialSource) {
		const readable = new Set((provider.readableHeaders ?? []).map((name) => name.toLowerCase()));
		for (const [name, value] of Object.entries(provider.headers)) {
			if (!readable.has(name.toLowerCase())) {
				this.policyValues.push(...forms(value));
			}
		}
		this.credentialHeaders = ['authorization', 'api-key'];
		if (credential.kind === 'organization-token') {
			this.credentialHeaders.push(credential.header.toLowerCase());
		}
	}

	/** A fetch that notes the credential each request carries (it is read per request: tokens renew). */
	watching(fetch: FetchFunction): FetchFunction {
		return (input, init) => {
			const headers = new Headers(input instanceof Request ? input.headers : undefined);
			new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
			for (const name of this.credentialHeaders) {
				const value = headers.get(name);
				if (value) {
					this.noteCredential(value);
				}
			}
			return fetch(input, init);
		};
	}

	/** `text` with every value sent in confidence replaced by a mask. */
	mask(text: string): string {
		// Longest first: a token inside a longer header value is masked as part of the whole.
		const values = [...this.policyValues, ...this.credentials].sort((a, b) => b.length - a.length);
		return values.reduce((masked, value) => masked.replaceAll(value, MASK), text);
	}

	/** The same error with its sentence masked (its kind and status kept). */
	maskError(error: ChatRequestError): ChatRequestError {
		const masked = this.mask(error.message);
		return masked === error.message ? error : new ChatRequestError(error.kind, masked, error.status);
	}

	private noteCredential(value: string): void {
		for (const form of forms(value)) {
			if (!this.credentials.includes(form)) {
				this.credentials.push(form);
			}
		}
		this.credentials.splice(0, Math.max(0, this.credentials.length - CREDENTIALS_KEPT * 2));
	}
}

/** A header value as an error may repeat it: whole, and without its scheme ("Bearer …"). */
function forms(value: string): string[] {
	const bare = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
	return [value, ...(bare ? [bare] : [])].filter((form) => form.length >= SHORTEST);
}
