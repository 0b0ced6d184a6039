import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
	buildPolicyDocument,
	canonicalJson,
	generateSigningKeyPair,
	PolicySettingsSchema,
	signPolicy,
	verifySignedPolicy,
} from '../../src/policy';
import { refusalOf, stamp, validSettings } from '../support/policy-fixtures';

const keys = generateSigningKeyPair();
const trust = { signingKey: keys.publicKey, organizationId: 'acme' };
const document = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.azureDeployment), stamp);

const rejection = (envelope: unknown, trustOverride = trust) => refusalOf(envelope, trustOverride);

describe('policy signatures', () => {
	it('verifies what the service signed, after a trip through JSON', () => {
		const signed = JSON.parse(JSON.stringify(signPolicy(document, keys.privateKeyPem)));
		assert.deepEqual(verifySignedPolicy(signed, trust).policy, document);
	});

	it('refuses a changed field', () => {
		const signed = structuredClone(signPolicy(document, keys.privateKeyPem));
		(signed.policy.provider as { baseUrl: string }).baseUrl = 'https://evil.example';
		assert.equal(rejection(signed), 'bad-signature');
	});

	it('refuses a policy signed by another key with the same key id', () => {
		const other = generateSigningKeyPair();
		const signed = signPolicy(document, other.privateKeyPem);
		assert.equal(rejection({ ...signed, signature: { ...signed.signature, keyId: keys.publicKey.keyId } }), 'bad-signature');
	});

	it('refuses a policy signed by an unknown key', () => {
		assert.equal(rejection(signPolicy(document, generateSigningKeyPair().privateKeyPem)), 'unknown-key');
	});

	it('refuses an unsigned policy', () => {
		assert.equal(rejection({ policy: document }), 'malformed');
		assert.equal(rejection(document), 'malformed');
	});

	it("refuses another organization's policy even when correctly signed", () => {
		const foreign = buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), {
			...stamp,
			organization: { id: 'globex', name: 'Globex' },
		});
		assert.equal(rejection(signPolicy(foreign, keys.privateKeyPem)), 'wrong-organization');
	});

	it('refuses a signed document that breaks the schema', () => {
		const invalid = { ...document, provider: { ...document.provider, baseUrl: 'http://example.com' } };
		assert.equal(rejection(signPolicy(invalid as typeof document, keys.privateKeyPem)), 'invalid-document');
	});

	it('says a genuine policy in a newer schema is one this extension must be updated for, and only when the signature holds', () => {
		const newer = { ...document, schemaVersion: 4, provider: { ...document.provider, somethingNew: true } };
		const signed = signPolicy(newer as unknown as typeof document, keys.privateKeyPem);
		assert.throws(
			() => verifySignedPolicy(JSON.parse(JSON.stringify(signed)), trust),
			(error: Error & { reason?: string }) =>
				error.reason === 'newer-schema' &&
				error.message === 'revision 12 of the policy uses policy schema 4; this extension understands schemas up to 3',
		);
		// Anyone else's "newer schema" is what it is: not the organization's, so no update is asked for.
		assert.equal(rejection(signPolicy(newer as unknown as typeof document, generateSigningKeyPair().privateKeyPem)), 'unknown-key');
		const tampered = structuredClone(signPolicy(document, keys.privateKeyPem)) as { policy: { schemaVersion: number } };
		tampered.policy.schemaVersion = 4;
		assert.equal(rejection(tampered), 'bad-signature');
	});

	it('property: changing any byte of the signed payload makes verification fail', () => {
		const signed = signPolicy(document, keys.privateKeyPem);
		const payload = Buffer.from(canonicalJson(signed.policy), 'utf8');
		fc.assert(
			fc.property(fc.nat({ max: payload.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
				const tampered = Buffer.from(payload);
				tampered[index] = (tampered[index]! + delta) % 256;
				let parsed: unknown;
				try {
					parsed = JSON.parse(tampered.toString('utf8'));
				} catch {
					return true; // no longer JSON: a member could not even read it
				}
				const reason = rejection({ policy: parsed, signature: signed.signature });
				return reason === 'bad-signature' || reason === 'malformed';
			}),
			{ numRuns: 500 },
		);
	});
});

describe('canonical encoding', () => {
	const json = fc.jsonValue({ maxDepth: 4 });

	it('property: is stable under key reordering', () => {
		fc.assert(
			fc.property(json, fc.integer(), (value, seed) => {
				const shuffled = reorderKeys(value, seed);
				return canonicalJson(shuffled) === canonicalJson(value);
			}),
		);
	});

	it('property: parses back to an equal value and is a fixed point', () => {
		fc.assert(
			fc.property(json, (value) => {
				const encoded = canonicalJson(value);
				const decoded: unknown = JSON.parse(encoded);
				assert.deepEqual(decoded, JSON.parse(JSON.stringify(value)));
				return canonicalJson(decoded) === encoded;
			}),
		);
	});

	it('sorts keys by UTF-16 code units and leaves no white space', () => {
		assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], B: { d: 2, c: 1.5 } }), '{"B":{"c":1.5,"d":2},"a":[true,null,"x"],"b":1}');
	});

	it('refuses values JSON cannot carry', () => {
		assert.throws(() => canonicalJson({ a: Number.NaN }), /\$\.a: NaN has no JSON representation/);
		assert.throws(() => canonicalJson({ a: new Date(0) }), /has no JSON representation/);
	});
});

function reorderKeys(value: unknown, seed: number): unknown {
	if (Array.isArray(value)) {
		return value.map((item) => reorderKeys(item, seed));
	}
	if (value && typeof value === 'object') {
		const entries = Object.entries(value);
		const rotated = entries.map((_entry, index) => entries[(index + Math.abs(seed)) % entries.length]!);
		return Object.fromEntries(rotated.reverse().map(([key, item]) => [key, reorderKeys(item, seed + 1)]));
	}
	return value;
}
