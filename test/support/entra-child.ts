// Runs in its own process so NODE_EXTRA_CA_CERTS (set by the parent) makes the test CA trusted
// by @azure/identity's HTTP stack. Chats twice through the real ClientSecretCredential.
import { ClientSecretCredential } from '@azure/identity';
import { createChatClient, createDispatcher, entraCredential, fetchThrough } from '../../src/client';
import { createEntraTokenProvider } from '../../src/client/entra';

async function main(): Promise<void> {
	const [authority, endpoint, tenant] = process.argv.slice(2) as [string, string, string];
	const credential = new ClientSecretCredential(tenant, 'vscode-client-id', 'client-secret-value', {
		authorityHost: authority,
		disableInstanceDiscovery: true,
	});
	const getToken = createEntraTokenProvider({
		scope: 'https://cognitiveservices.azure.com/.default',
		tenantId: tenant,
		onDeviceCode: () => undefined,
		credential,
	});
	const client = createChatClient(
		{
			baseUrl: endpoint,
			headers: { 'X-Tenant': 'acme' },
			apiKeyRequired: false,
			azure: { apiVersion: '2024-06-01', identityAuth: true, scope: 'https://cognitiveservices.azure.com/.default', tenantId: tenant },
		},
		{ fetch: fetchThrough(createDispatcher()), credentials: entraCredential(getToken) },
	);
	await client.complete([{ role: 'user', content: 'first' }], 'gpt-4o');
	await new Promise((resolve) => setTimeout(resolve, Number(process.env.ENTRA_TEST_PAUSE_MS ?? 0)));
	await client.complete([{ role: 'user', content: 'second' }], 'gpt-4o');
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
