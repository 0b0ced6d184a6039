import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeEndpoint, makeTestCertificates } from '../support/fake-endpoint';

const TENANT = 'contoso.onmicrosoft.com';
const run = promisify(execFile);

/** A local Microsoft identity platform: OpenID metadata and a client-credentials token endpoint. */
async function startAuthority(tls: { key: string; cert: string }, expiresIn: number) {
	const tokenRequests: URLSearchParams[] = [];
	let issued = 0;
	const server: Server = createServer(tls, (request, response) => {
		const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
		let body = '';
		request.on('data', (chunk) => (body += chunk));
		request.on('end', () => {
			const json = (value: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
			if (request.url?.includes('/.well-known/openid-configuration')) {
				return json({
					token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`,
					authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`,
					device_authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/devicecode`,
					end_session_endpoint: `${base}/${TENANT}/oauth2/v2.0/logout`,
					issuer: `${base}/${TENANT}/v2.0`,
					jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`,
					response_modes_supported: ['query', 'fragment', 'form_post'],
				});
			}
			if (request.method === 'POST' && request.url?.startsWith(`/${TENANT}/oauth2/v2.0/token`)) {
				tokenRequests.push(new URLSearchParams(body));
				issued++;
				return json({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: `entra-token-${issued}` });
			}
			return response.writeHead(404).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
		tokenRequests,
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}

describe('Entra ID through the real @azure/identity', function () {
	this.timeout(60_000);
	const certs = makeTestCertificates();
	after(() => certs.cleanup());

	for (const [name, expiresIn, expectedTokens] of [
		['reuses a token until shortly before it expires', 3600, ['entra-token-1', 'entra-token-1']],
		['fetches a fresh token once the first has expired', 1, ['entra-token-1', 'entra-token-2']],
	] as const) {
		it(name, async () => {
			const authority = await startAuthority(certs, expiresIn);
			const endpoint = await FakeEndpoint.start();
			try {
				await run(
					process.execPath,
					['--import', 'tsx', join(__dirname, '..', 'support', 'entra-child.ts'), authority.url, endpoint.url, TENANT],
					{
						// With one-second tokens, the child waits past the first token's expiry before its second chat.
						env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.caFile, ENTRA_TEST_PAUSE_MS: expiresIn === 1 ? '1500' : '0' },
						cwd: join(__dirname, '..', '..'),
					},
				);
				const chats = endpoint.requests.filter((request) => request.path.endsWith('/chat/completions'));
				assert.deepEqual(
					chats.map((request) => request.headers.authorization),
					expectedTokens.map((token) => `Bearer ${token}`),
				);
				assert.ok(chats.every((request) => request.headers['api-key'] === undefined && request.headers['x-tenant'] === 'acme'));
				assert.equal(authority.tokenRequests.length, new Set(expectedTokens).size);
				const grant = authority.tokenRequests[0]!;
				assert.equal(grant.get('grant_type'), 'client_credentials');
				assert.equal(grant.get('client_id'), 'vscode-client-id');
				assert.equal(grant.get('scope'), 'https://cognitiveservices.azure.com/.default');
			} finally {
				await endpoint.close();
				await authority.close();
			}
		});
	}
});

describe('Entra ID credential chain', () => {
	it('probes the instance-metadata address (managed identity) only where the environment shows Azure', async () => {
		const { entraCredentialChain, runsOnAzure } = await import('../../src/client/entra');
		const names = (env: NodeJS.ProcessEnv) =>
			entraCredentialChain({ onDeviceCode: () => undefined }, env).map((credential) => credential.constructor.name);
		assert.equal(runsOnAzure({}), false);
		assert.deepEqual(names({}), ['AzureCliCredential', 'AzureDeveloperCliCredential', 'EnvironmentCredential', 'DeviceCodeCredential']);
		for (const variable of ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE']) {
			assert.ok(names({ [variable]: 'set' }).includes('ManagedIdentityCredential'), `${variable} means Azure`);
		}
	});
});
