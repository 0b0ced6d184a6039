import { createHash, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical';

/**
 * Signing-key rotation as members see it. When an operator replaces an organization's signing key,
 * the old key signs a statement naming the new one (an endorsement). Revisions signed with the new
 * key carry every endorsement since the organization's first key, so a member pinned to any earlier
 * key walks the chain from its pin to the key that signed, and then pins the new key. Nothing but
 * a key the member already trusts can introduce another.
 */

export interface EndorsedKey {
	readonly alg: 'Ed25519';
	readonly keyId: string;
	/** Raw 32-byte Ed25519 public key, base64url. */
	readonly publicKey: string;
}

export interface KeyEndorsement {
	/** The new key. */
	readonly key: EndorsedKey;
	/** The key id of the key that signed this endorsement. */
	readonly endorsedBy: string;
	/** Ed25519 signature by `endorsedBy` over {@link endorsementPayload}, base64url. */
	readonly signature: string;
}

/** Longest chain a member follows: rotations are rare, so anything longer is not genuine. */
export const MAX_ENDORSEMENTS = 32;

/** A key's id: the start of the SHA-256 of its raw bytes, so an id cannot name another key. */
export function keyIdOf(publicKey: string): string {
	return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('base64url').slice(0, 16);
}

/** What an endorsement signs: the organization too, so one organization's rotation cannot be replayed in another. */
export function endorsementPayload(organizationId: string, key: EndorsedKey): Buffer {
	return Buffer.from(
		canonicalJson({
			type: 'org-provider-policy/key-endorsement',
			organizationId,
			key: { alg: key.alg, keyId: key.keyId, publicKey: key.publicKey },
		}),
		'utf8',
	);
}

/**
 * From the pinned key to the key with id `target`, each step verified with the key before it.
 * Returns the target key, or undefined when no verified chain leads there.
 */
export function followEndorsements(
	pinned: EndorsedKey,
	target: string,
	endorsements: readonly KeyEndorsement[],
	organizationId: string,
	importKey: (publicKey: string) => KeyObject,
): EndorsedKey | undefined {
	let current = pinned;
	for (let step = 0; step < Math.min(endorsements.length, MAX_ENDORSEMENTS) && current.keyId !== target; step++) {
		const next = endorsements.find((endorsement) => endorsement.endorsedBy === current.keyId);
		if (
			!next ||
			next.key.keyId !== keyIdOf(next.key.publicKey) ||
			!verify(null, endorsementPayload(organizationId, next.key), importKey(current.publicKey), Buffer.from(next.signature, 'base64url'))
		) {
			return undefined;
		}
		current = next.key;
	}
	return current.keyId === target ? current : undefined;
}
