import assert from 'node:assert/strict';
import { bearerChallenge, explainTokenRefusal } from '../../src/client/token-refusal';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const facts = { audience: 'https://gateway.acme.example', expiresAt: NOW + 300_000, keyId: 'k-2', issuer: 'https://policy.acme.example' };

/**
 * A gateway's 401 to an organization token, in one sentence: the challenges below are the shapes
 * RFC 6750 §3 defines and that Envoy's jwt_authn, Kong, API Management and mod_auth_openidc send.
 */
describe('explaining a refused organization token', () => {
	it('reads an RFC 6750 challenge, quoted or not, with escapes', () => {
		assert.deepEqual(bearerChallenge('Bearer realm="x", error="invalid_token", error_description="Jwt is expired"'), {
			error: 'invalid_token',
			description: 'Jwt is expired',
		});
		assert.deepEqual(bearerChallenge('Bearer error=invalid_token, error_description="say \\"hi\\""'), {
			error: 'invalid_token',
			description: 'say "hi"',
		});
		assert.deepEqual(bearerChallenge('Basic realm="x"'), {});
		assert.deepEqual(bearerChallenge(undefined), {});
	});

	it('names an expired token first, whatever the gateway says', () => {
		const message = explainTokenRefusal('gw', { ...facts, expiresAt: NOW - 1000 }, 'Bearer error="invalid_token"', NOW, 'Acme');
		assert.match(message, /^gw refused the organization token because it expired at 2026-12-03T09:59:59.000Z/);
	});

	it('names the audience when the gateway says it was the audience (Envoy: "Audiences in Jwt are not allowed")', () => {
		const message = explainTokenRefusal(
			'gw',
			facts,
			'Bearer realm="x", error="invalid_token", error_description="Audiences in Jwt are not allowed"',
			NOW,
			'Acme',
		);
		assert.match(
			message,
			/for its audience \(https:\/\/gateway\.acme\.example; the gateway says "Audiences in Jwt are not allowed"\).*tell Acme/,
		);
	});

	it('names the key and where the keys are when the gateway could not verify the signature (Envoy: "Jwks doesn\'t have key to match kid or alg from Jwt")', () => {
		const message = explainTokenRefusal(
			'gw',
			facts,
			'Bearer error="invalid_token", error_description="Jwks doesn\'t have key to match kid or alg from Jwt"',
			NOW,
			undefined,
		);
		assert.match(
			message,
			/could not verify the organization token's signature \(key k-2;.*read the keys from https:\/\/policy\.acme\.example\/\.well-known\/jwks\.json — tell your admin\.$/,
		);
	});

	it("quotes a gateway's own specific words, and says what to check when they say nothing (mod_auth_openidc)", () => {
		assert.match(
			explainTokenRefusal('gw', facts, 'Bearer error="invalid_token", error_description="member is on leave"', NOW, 'Acme'),
			/\(401\): "member is on leave" — tell Acme\.$/,
		);
		const generic = explainTokenRefusal(
			'gw',
			facts,
			'Bearer error="invalid_token", error_description="JWT token could not be validated"',
			NOW,
			'Acme',
		);
		assert.match(
			generic,
			/audience https:\/\/gateway\.acme\.example and signed with key k-2, so the gateway either expects another audience or does not read the keys from https:\/\/policy\.acme\.example\/\.well-known\/jwks\.json/,
		);
		const claims = explainTokenRefusal('gw', facts, null, NOW, 'Acme');
		assert.match(claims, /accepted the organization token's signature but not its claims/);
	});
});
