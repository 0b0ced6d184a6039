import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPolicyDocument, canonicalJson, generateSigningKeyPair, PolicySettingsSchema, signPolicy } from '../../src/policy';

/**
 * A member's storage after a sign-in and one applied revision (7): the session and the pin in
 * secret storage, the signed policy too (where PolicyCache keeps it), as bench/support/activate-once.cjs reads them.
 * `alter` changes the cached envelope after signing (the start-up tests tamper with it).
 */
export function fixtureFile(dir: string, alter?: (envelope: { policy: Record<string, unknown> }) => void): string {
	const keys = generateSigningKeyPair();
	const document = buildPolicyDocument(
		PolicySettingsSchema.parse({
			enabled: true,
			provider: {
				id: 'openai-compatible',
				baseUrl: 'https://acme.openai.azure.com',
				headers: { 'X-Tenant': 'acme' },
				azure: { apiVersion: '2024-06-01' },
				models: { allowed: ['gpt-4o'] },
			},
		}),
		{
			organization: { id: 'acme', name: 'Acme Corp' },
			revision: 7,
			updatedAt: '2026-11-26T10:00:00Z',
			updatedBy: 'admin@acme.example',
		},
	);
	const session = {
		// Unreachable on purpose: activation must not wait for the network.
		serverUrl: 'http://127.0.0.1:9',
		accessToken: 'opp_at_bench',
		refreshToken: 'opp_rt_bench',
		expiresAt: Date.now() + 3600_000,
		organization: { id: 'acme', name: 'Acme Corp' },
		account: { id: 'u1', email: 'dev@acme.example', role: 'member' },
		signingKey: keys.publicKey,
	};
	const envelope = JSON.parse(canonicalJson(signPolicy(document, keys.privateKeyPem)));
	alter?.(envelope);
	const file = join(dir, 'fixture.json');
	writeFileSync(
		file,
		JSON.stringify({
			secrets: {
				'orgProviderPolicy.session': JSON.stringify(session),
				'orgProviderPolicy.pin': JSON.stringify({ organizationId: 'acme', signingKey: keys.publicKey, highestRevision: document.revision }),
				'orgProviderPolicy.cache.acme': JSON.stringify({ envelope, receivedAt: Date.now() }),
			},
			globalState: {},
		}),
	);
	return file;
}
