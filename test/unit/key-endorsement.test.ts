import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import {
	buildPolicyDocument,
	endorsementPayload,
	generateSigningKeyPair,
	PolicySettingsSchema,
	signPolicy,
	verifySignedPolicy,
	type KeyEndorsement,
	type SigningKeyPair,
} from '../../src/policy';
import { refusalOf, stamp, validSettings } from '../support/policy-fixtures';

const document = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), stamp);
const [first, second, third, stranger] = [
	generateSigningKeyPair(),
	generateSigningKeyPair(),
	generateSigningKeyPair(),
	generateSigningKeyPair(),
];

/** What the service's keyring writes: `by` signs the statement naming `key` for `organizationId`. */
function endorse(by: SigningKeyPair, key: SigningKeyPair, organizationId = 'acme'): KeyEndorsement {
	const signature = sign(null, endorsementPayload(organizationId, key.publicKey), createPrivateKey(by.privateKeyPem)).toString('base64url');
	return { key: key.publicKey, endorsedBy: by.publicKey.keyId, signature };
}

const signedWith = (pair: SigningKeyPair, keyEndorsements: KeyEndorsement[]) =>
	JSON.parse(JSON.stringify({ ...signPolicy(document, pair.privateKeyPem), keyEndorsements }));
const pinned = (pair: SigningKeyPair) => ({ signingKey: pair.publicKey, organizationId: 'acme' });

const refusal = (envelope: unknown, pair: SigningKeyPair) => refusalOf(envelope, pinned(pair));

describe('signing key rotation: endorsements', () => {
	it('accepts a revision signed by a key the pinned key endorsed, and names that key', () => {
		const verified = verifySignedPolicy(signedWith(second, [endorse(first, second)]), pinned(first));
		assert.equal(verified.signingKey.keyId, second.publicKey.keyId);
		assert.equal(verified.policy.revision, document.revision);
	});

	it('follows a chain of rotations from any key on it, in any order given', () => {
		const chain = [endorse(second, third), endorse(first, second)];
		assert.equal(verifySignedPolicy(signedWith(third, chain), pinned(first)).signingKey.keyId, third.publicKey.keyId);
		assert.equal(verifySignedPolicy(signedWith(third, chain), pinned(second)).signingKey.keyId, third.publicKey.keyId);
		assert.equal(verifySignedPolicy(signedWith(third, chain), pinned(third)).signingKey.keyId, third.publicKey.keyId);
	});

	it('refuses a key endorsed by anyone but the pinned key or its successors', () => {
		assert.equal(refusal(signedWith(third, [endorse(stranger, third)]), first), 'unknown-key');
		// A genuine chain does not lead back: an older key cannot sign for a member that moved on.
		assert.equal(refusal(signedWith(first, [endorse(first, second)]), second), 'unknown-key');
		assert.equal(refusal(signedWith(second, []), first), 'unknown-key');
	});

	it("refuses an endorsement made for another organization, or one whose key id is not its key's", () => {
		assert.equal(refusal(signedWith(second, [endorse(first, second, 'globex')]), first), 'unknown-key');
		// Even signed by the pinned key, a statement whose key id does not derive from its key is refused.
		const mislabelledKey = { ...second.publicKey, keyId: 'mislabelled-key' };
		const statement = sign(null, endorsementPayload('acme', mislabelledKey), createPrivateKey(first.privateKeyPem)).toString('base64url');
		const envelope = signedWith(second, [{ key: mislabelledKey, endorsedBy: first.publicKey.keyId, signature: statement }]);
		envelope.signature.keyId = 'mislabelled-key';
		assert.equal(refusal(envelope, first), 'unknown-key');
	});

	it('refuses an altered endorsement signature', () => {
		const genuine = endorse(first, second);
		const altered = { ...genuine, signature: `${genuine.signature[0] === 'A' ? 'B' : 'A'}${genuine.signature.slice(1)}` };
		assert.equal(refusal(signedWith(second, [altered]), first), 'unknown-key');
	});
});
