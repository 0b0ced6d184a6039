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
 * Azure CLI, Azure Developer CLI, environment, managed identity, then a device code shown to
 * the member. This module is loaded only when a policy turns Entra ID on.
 */
export interface EntraOptions {
	scope: string;
	tenantId?: string | undefined;
	/** Shows the device-code message inside the editor. */
	onDeviceCode(message: string): void;
	/** Overrides the chain, e.g. with a `ClientSecretCredential` in tests. */
	credential?: TokenCredential;
}

export function createEntraTokenProvider(options: EntraOptions): () => Promise<string> {
	const tenant = options.tenantId ? { tenantId: options.tenantId } : {};
	const credential =
		options.credential ??
		new ChainedTokenCredential(
			new AzureCliCredential(tenant),
			new AzureDeveloperCliCredential(tenant),
			new EnvironmentCredential(),
			new ManagedIdentityCredential(),
			new DeviceCodeCredential({ ...tenant, userPromptCallback: (info) => options.onDeviceCode(info.message) }),
		);
	// Caches the token and renews it shortly before expiry.
	return getBearerTokenProvider(credential, options.scope);
}
