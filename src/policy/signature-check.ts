import { verify, createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical';
import { followEndorsements, type KeyEndorsement } from './key-chain';

/**
 * The cryptographic half of verifying a signed policy, without zod: the service's and the
 * extension's full verification (signature.ts) and the extension's start-up check of its cached
 * copy (precompiled-verification.ts) both call it, so the two cannot disagree on what a valid
 * signature is.
 */

export interface PolicySigningKey {
	readonly alg: 'Ed25519';
	readonly keyId: string;
	/** Raw 32-byte Ed25519 public key, base64url. */
	readonly publicKey: string;
}

export type PolicyRejection =
	| 'malformed'
	| 'unknown-key'
	| 'bad-signature'
	| 'invalid-document'
	| 'wrong-organization'
	/** Genuinely the organization's, in a policy schema newer than this extension knows: only an update applies it. */
	| 'newer-schema';

export class PolicyRejectedError extends Error {
	override readonly name = 'PolicyRejectedError';
	constructor(
		readonly reason: PolicyRejection,
		message: string,
	) {
		super(message);
	}
}

export interface PolicyTrust {
	readonly signingKey: PolicySigningKey;
	readonly organizationId: string;
}

const importedKeys = new Map<string, KeyObject>();

/** Pinned keys are few and reused for every revision: import each once. */
function importedKey(publicKey: string): KeyObject {
	let key = importedKeys.get(publicKey);
	if (!key) {
		key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
		if (importedKeys.size > 64) {
			importedKeys.clear();
		}
		importedKeys.set(publicKey, key);
	}
	return key;
}

/**
 * Verifies the signature over the document as received (before any schema defaults are applied),
 * made by the pinned key or a key it endorsed. Returns the key that signed; throws
 * {@link PolicyRejectedError}.
 */
export function checkPolicySignature(
	raw: unknown,
	signature: { readonly keyId: string; readonly value: string },
	keyEndorsements: readonly KeyEndorsement[],
	trust: PolicyTrust,
): PolicySigningKey {
	const signingKey =
		signature.keyId === trust.signingKey.keyId
			? trust.signingKey
			: followEndorsements(trust.signingKey, signature.keyId, keyEndorsements, trust.organizationId, importedKey);
	if (!signingKey) {
		throw new PolicyRejectedError(
			'unknown-key',
			`signed with key ${signature.keyId}, which key ${trust.signingKey.keyId} (pinned for this organization) never endorsed`,
		);
	}
	let payload: Buffer;
	try {
		payload = Buffer.from(canonicalJson(raw), 'utf8');
	} catch (error) {
		throw new PolicyRejectedError('malformed', `not a JSON document: ${(error as Error).message}`);
	}
	if (!verify(null, payload, importedKey(signingKey.publicKey), Buffer.from(signature.value, 'base64url'))) {
		throw new PolicyRejectedError('bad-signature', 'the signature does not match the policy (it was altered or signed by someone else)');
	}
	return { alg: 'Ed25519', keyId: signingKey.keyId, publicKey: signingKey.publicKey };
}

/** A verified document must belong to the organization the key was pinned for. */
export function checkPolicyOrganization(organizationId: string, trust: PolicyTrust): void {
	if (organizationId !== trust.organizationId) {
		throw new PolicyRejectedError(
			'wrong-organization',
			`the policy belongs to organization ${organizationId}, not ${trust.organizationId}`,
		);
	}
}
