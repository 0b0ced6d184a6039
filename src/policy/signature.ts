import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson } from './canonical';
import { formatFieldError, parseWith } from './errors';
import { SCHEMA_VERSION, type PolicyDocument } from './schema';
import { keyIdOf, KeyEndorsementSchema, MAX_ENDORSEMENTS, type KeyEndorsement } from './key-endorsement';
import {
	checkPolicyOrganization,
	checkPolicySignature,
	PolicyRejectedError,
	type PolicySigningKey,
	type PolicyTrust,
} from './signature-check';
import { parseDocument } from './versions';

export * from './signature-check';
export { keyIdOf };

/**
 * Ed25519 signatures over the canonical encoding of a policy document. The member pins the
 * public key at sign-in, so a tampered cache or a swapped response fails verification.
 */

export interface SigningKeyPair {
	readonly publicKey: PolicySigningKey;
	/** PKCS#8 PEM; stays with the service. */
	readonly privateKeyPem: string;
}

export const PolicySigningKeySchema = z.strictObject({
	alg: z.literal('Ed25519'),
	keyId: z.string().min(1).max(64),
	publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key'),
});

export const SignedPolicySchema = z.strictObject({
	policy: z.record(z.string(), z.unknown(), 'must be an object'),
	signature: z.strictObject({
		alg: z.literal('Ed25519', 'must be Ed25519'),
		keyId: z.string().min(1).max(64),
		value: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
	}),
	/** Schema 2 on: how the signing key descends from the organization's first key, when it was rotated. */
	keyEndorsements: z.array(KeyEndorsementSchema).max(MAX_ENDORSEMENTS).optional(),
});

export interface SignedPolicy {
	readonly policy: PolicyDocument;
	readonly signature: { readonly alg: 'Ed25519'; readonly keyId: string; readonly value: string };
	readonly keyEndorsements?: readonly KeyEndorsement[];
}

/** A verified policy and the key that signed it (the pinned key, or one it endorsed). */
export interface VerifiedPolicy extends SignedPolicy {
	readonly signingKey: PolicySigningKey;
}

export function generateSigningKeyPair(): SigningKeyPair {
	const { publicKey, privateKey } = generateKeyPairSync('ed25519');
	return {
		publicKey: describePublicKey(publicKey),
		privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
	};
}

export function publicKeyFromPrivatePem(privateKeyPem: string): PolicySigningKey {
	return describePublicKey(createPublicKey(createPrivateKey(privateKeyPem)));
}

function describePublicKey(key: KeyObject): PolicySigningKey {
	const jwk = key.export({ format: 'jwk' });
	if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
		throw new Error('not an Ed25519 key');
	}
	return { alg: 'Ed25519', keyId: keyIdOf(jwk.x), publicKey: jwk.x };
}

export function signPolicy(policy: PolicyDocument, privateKeyPem: string): SignedPolicy {
	const key = createPrivateKey(privateKeyPem);
	const value = sign(null, Buffer.from(canonicalJson(policy), 'utf8'), key).toString('base64url');
	return { policy, signature: { alg: 'Ed25519', keyId: describePublicKey(createPublicKey(key)).keyId, value } };
}

/** The bytes a policy signature covers. */
export function signedBytes(policy: PolicyDocument): Buffer {
	return Buffer.from(canonicalJson(policy), 'utf8');
}

/**
 * Verifies the signature over the bytes as received (before any schema defaults are applied),
 * then validates the document and its organization. Throws {@link PolicyRejectedError}.
 */
export function verifySignedPolicy(envelope: unknown, trust: PolicyTrust): VerifiedPolicy {
	const shape = parseWith(SignedPolicySchema, envelope);
	if (!shape.ok) {
		throw new PolicyRejectedError('malformed', `not a signed policy: ${shape.errors.map(formatFieldError).join('; ')}`);
	}
	const { policy: raw, signature, keyEndorsements } = shape.value;
	const signingKey = checkPolicySignature(raw, signature, keyEndorsements ?? [], trust);
	// Said apart from a broken document, and only once the signature holds: the member is asked to update, which a forger must not cause.
	const { schemaVersion: declared, revision } = raw as { schemaVersion?: unknown; revision?: unknown };
	if (typeof declared === 'number' && Number.isInteger(declared) && declared > SCHEMA_VERSION) {
		throw new PolicyRejectedError(
			'newer-schema',
			`revision ${String(revision)} of the policy uses policy schema ${declared}; this extension understands schemas up to ${SCHEMA_VERSION}`,
		);
	}
	const document = parseDocument(raw);
	if (!document.ok) {
		throw new PolicyRejectedError('invalid-document', document.errors.map(formatFieldError).join('; '));
	}
	checkPolicyOrganization(document.value.organization.id, trust);
	return { policy: document.value, signature, ...(keyEndorsements ? { keyEndorsements } : {}), signingKey };
}
