import {
	apiKeyCredential,
	entraCredential,
	noCredential,
	organizationTokenCredential,
	SignInRequiredError,
	type CredentialSource,
} from '../../client/credentials';
import type { EffectiveSettings } from '../lock/effective';
import type { EntraModule, ProviderHost } from './provider-service';

export const API_KEY_PREFIX = 'orgProviderPolicy.apiKey.';

/**
 * The member's credential for the effective provider: their API key (in secret storage per
 * organization and base URL, never in settings), an Entra ID token, or the organization's token.
 */
export class MemberCredentials {
	private entraModule: EntraModule | undefined;
	private readonly entraProviders = new Map<string, () => Promise<string>>();

	constructor(
		private readonly host: Pick<
			ProviderHost,
			'secrets' | 'microsoftToken' | 'showMessage' | 'logDetail' | 'loadEntra' | 'organizationTokens'
		>,
		private readonly effective: () => EffectiveSettings,
	) {}

	private keyName(): string {
		const organization = this.effective().locked ? this.effective().organization?.id : 'personal';
		return `${API_KEY_PREFIX}${organization}.${this.effective().provider?.baseUrl ?? ''}`;
	}

	/** Whether requests now need an API key the member has not entered for this endpoint. */
	async needsApiKey(): Promise<boolean> {
		const provider = this.effective().provider;
		return Boolean(provider?.apiKeyRequired && !provider.azure?.identityAuth && !(await this.host.secrets.get(this.keyName())));
	}

	async setApiKey(key: string): Promise<void> {
		await this.host.secrets.store(this.keyName(), key);
	}

	async clearApiKey(): Promise<void> {
		await this.host.secrets.delete(this.keyName());
	}

	credentials(): CredentialSource {
		const provider = this.effective().provider;
		const token = this.effective().locked ? provider?.organizationToken : undefined;
		const tokens = this.host.organizationTokens;
		if (token && tokens) {
			return organizationTokenCredential({
				header: token.header,
				getToken: () => tokens.token(token.audience),
				discard: () => tokens.discard(),
				facts: () => tokens.facts(),
			});
		}
		const azure = provider?.azure;
		if (azure?.identityAuth) {
			return entraCredential(() => this.entraToken(azure.scope, azure.tenantId));
		}
		if (provider && !provider.apiKeyRequired) {
			return noCredential;
		}
		const name = this.keyName();
		return apiKeyCredential(async () => this.host.secrets.get(name));
	}

	private async entraToken(scope: string, tenantId: string | undefined): Promise<string> {
		const scopes = tenantId ? [scope, `VSCODE_TENANT:${tenantId}`] : [scope];
		const fromHost = await this.host.microsoftToken(scopes);
		if (fromHost !== undefined) {
			return fromHost;
		}
		// No Microsoft sign-in here (a remote or web host), or the member chose the Azure CLI: fall
		// back to @azure/identity. One provider per scope and tenant: it caches the token until
		// shortly before expiry.
		const key = `${scope} ${tenantId ?? ''}`;
		let provider = this.entraProviders.get(key);
		if (!provider) {
			this.entraModule ??= this.host.loadEntra();
			provider = this.entraModule.createEntraTokenProvider({
				scope,
				tenantId,
				onDeviceCode: (message) => this.host.showMessage(message),
			});
			this.entraProviders.set(key, provider);
		}
		try {
			return await provider();
		} catch (error) {
			// @azure/identity's chain explains every credential it tried, about a thousand characters:
			// all of it to the output channel, one sentence to the member.
			this.host.logDetail(
				`Entra ID token for ${scope}${tenantId ? ` (tenant ${tenantId})` : ''} failed: ${error instanceof Error ? error.message : String(error)}`,
			);
			throw new SignInRequiredError(
				`Could not get an Entra ID token: run \`az login${tenantId ? ` --tenant ${tenantId}` : ''}\` in a terminal, or sign in with Microsoft, then try again (details in the Org Provider Policy output).`,
				{ cause: error },
			);
		}
	}
}
