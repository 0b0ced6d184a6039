import {
	AzureCliCredential,
	AzureDeveloperCliCredential,
	ChainedTokenCredential,
	DeviceCodeCredential,
	EnvironmentCredential,
	getBearerTokenProvider,
	ManagedIdentityCredential,
	type TokenCredential,
} from '@azure/identity';

/**
 * Entra ID tokens through `@azure/identity`, for members without VS Code's Microsoft sign-in:
 * Azure CLI, Azure Developer CLI, environment, managed identity (only on Azure), then a device
 * code shown to the member. This module is loaded only when a policy turns Entra ID on.
 */
export interface EntraOptions {
	scope: string;
	tenantId?: string | undefined;
	/** Shows the device-code message inside the editor. */
	onDeviceCode(message: string): void;
	/** Overrides the chain, e.g. with a `ClientSecretCredential` in tests. */
	credential?: TokenCredential;
}

/**
 * Whether this process runs where Azure provides a managed identity (App Service, Functions,
 * Container Apps, Arc, a pod with workload identity, or a VM configured for it). Elsewhere the
 * managed-identity credential would probe the instance-metadata address (169.254.169.254): on
 * a laptop that only adds delay, and traffic to it is never wanted.
 */
export function runsOnAzure(env: NodeJS.ProcessEnv = process.env): boolean {
	return ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE'].some((name) => Boolean(env[name]));
}

/** The credentials tried in order: the member's own sign-ins first, managed identity only on Azure, a device code last. */
export function entraCredentialChain(
	options: Pick<EntraOptions, 'tenantId' | 'onDeviceCode'>,
	env: NodeJS.ProcessEnv = process.env,
): TokenCredential[] {
	const tenant = options.tenantId ? { tenantId: options.tenantId } : {};
	return [
		new AzureCliCredential(tenant),
		new AzureDeveloperCliCredential(tenant),
		new EnvironmentCredential(),
		...(runsOnAzure(env) ? [new ManagedIdentityCredential()] : []),
		new DeviceCodeCredential({ ...tenant, userPromptCallback: (info) => options.onDeviceCode(info.message) }),
	];
}

export function createEntraTokenProvider(options: EntraOptions): () => Promise<string> {
	const credential = options.credential ?? new ChainedTokenCredential(...entraCredentialChain(options));
	// Caches the token and renews it shortly before expiry.
	return getBearerTokenProvider(credential, options.scope);
}
