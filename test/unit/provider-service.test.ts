import assert from 'node:assert/strict';
import * as chatClientModule from '../../src/client/chat-client';
import { Emitter } from '../../src/extension/base/disposable';
import type { MemberProviderSettings } from '../../src/extension/lock/effective';
import { ProviderService, type EntraModule, type ProviderHost } from '../../src/extension/provider/provider-service';
import { buildPolicyDocument, PolicySettingsSchema, type PolicyDocument, type PolicySettingsInput } from '../../src/policy';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { stamp, validSettings } from '../support/policy-fixtures';

/** The applied policy as the sync engine would hold it. */
class PolicyDouble {
	private readonly changed = new Emitter<void>();
	readonly onDidChangeState = this.changed.event;
	current: { policy: { document: PolicyDocument; source: 'live'; receivedAt: number } | undefined } = { policy: undefined };

	apply(settings: PolicySettingsInput | undefined, revision = 12): void {
		this.current = {
			policy: settings && {
				document: buildPolicyDocument(PolicySettingsSchema.parse(settings), { ...stamp, revision }),
				source: 'live',
				receivedAt: 0,
			},
		};
		this.changed.fire();
	}
}

describe('provider service (in-memory host)', () => {
	let policy: PolicyDouble;
	let secrets: MemorySecretStore;
	let state: MemoryKeyValueStore;
	let member: MemberProviderSettings;
	let microsoft: string | undefined;
	let entraProvidersMade: { scope: string; tenantId: string | undefined }[];
	let logged: string[];
	let service: ProviderService;
	let host: ProviderHost;

	/** What @azure/identity's ChainedTokenCredential throws when every credential failed (abridged). */
	let chainFailure: Error | undefined;
	const entraModule = {
		createEntraTokenProvider: (options: { scope: string; tenantId?: string | undefined }) => {
			entraProvidersMade.push({ scope: options.scope, tenantId: options.tenantId });
			const made = entraProvidersMade.length;
			return async () => {
				if (chainFailure) {
					throw chainFailure;
				}
				return `entra-token-${made}`;
			};
		},
	} as unknown as EntraModule;

	beforeEach(() => {
		policy = new PolicyDouble();
		secrets = new MemorySecretStore();
		state = new MemoryKeyValueStore();
		member = { preset: 'openai', baseUrl: undefined, headers: {} };
		microsoft = undefined;
		entraProvidersMade = [];
		logged = [];
		chainFailure = undefined;
		host = {
			secrets,
			state,
			memberProvider: () => member,
			microsoftToken: async () => microsoft,
			showMessage: () => undefined,
			logDetail: (message) => logged.push(message),
			fetch: () => async () => new Response('{}'),
			loadChatClient: () => chatClientModule,
			loadEntra: () => entraModule,
		};
		service = new ProviderService(policy, host);
	});
	afterEach(() => service.dispose());

	it("follows the policy: locked to the organization's endpoint, announcing each change once", () => {
		const seen: boolean[] = [];
		service.onDidChange((effective) => seen.push(effective.locked));
		assert.equal(service.current.locked, false);
		policy.apply(validSettings.azureDeployment);
		assert.equal(service.current.locked, true);
		assert.equal(service.current.provider?.baseUrl, 'https://acme.openai.azure.com');
		policy.apply(validSettings.azureDeployment, 13);
		policy.apply(validSettings.disabled, 14);
		assert.deepEqual(seen, [true, false], 'a revision that changes nothing the member sees is not announced');
	});

	it('keeps API keys in secret storage per organization and base URL, never elsewhere', async () => {
		policy.apply(validSettings.azureDeployment);
		await service.setApiKey('sk-acme');
		const credential = service.credentials();
		assert.equal(credential.kind, 'api-key');
		assert.equal(credential.kind === 'api-key' && (await credential.getApiKey()), 'sk-acme');
		assert.deepEqual([...secrets.values.keys()], ['orgProviderPolicy.apiKey.acme.https://acme.openai.azure.com']);
		assert.equal(state.values.size, 0);

		policy.apply(
			{
				...validSettings.azureDeployment,
				provider: { ...validSettings.azureDeployment.provider, baseUrl: 'https://acme-2.openai.azure.com' },
			},
			13,
		);
		const moved = service.credentials();
		assert.equal(moved.kind === 'api-key' && (await moved.getApiKey()), undefined, 'a key for the old endpoint is not sent to the new one');
		await service.clearApiKey();
		assert.equal(secrets.values.size, 1);
	});

	it('reuses one chat client until the settings or the key change, also from another window; says when a key changed', async () => {
		let credentialChanges = 0;
		service.onDidChangeCredentials(() => credentialChanges++);
		policy.apply(validSettings.azureDeployment);
		assert.equal(await service.needsApiKey(), true);
		const first = service.client();
		assert.equal(service.client(), first);
		await secrets.store('orgProviderPolicy.apiKey.acme.https://acme.openai.azure.com', 'sk-from-another-window');
		assert.equal(credentialChanges, 1, 'a key entered in another window');
		assert.equal(await service.needsApiKey(), false);
		await secrets.store('unrelated.secret', 'x');
		assert.equal(credentialChanges, 1, 'other secrets are not keys');
		const second = service.client();
		assert.notEqual(second, first);
		policy.apply(validSettings.plainCompatible, 13);
		assert.notEqual(service.client(), second);
	});

	it("keeps the member's own provider off when enforcement ends, until they turn it on, across restarts (#14 item 2)", async () => {
		member = { preset: 'custom', baseUrl: 'https://api.public-llm.example/v1', headers: {} };
		const baseUrlNow = () => service.current.provider?.baseUrl;
		policy.apply(validSettings.plainCompatible);
		assert.equal(service.current.locked, true);
		policy.apply({ ...validSettings.plainCompatible, enabled: false });
		assert.equal(service.current.locked, false);
		assert.equal(service.current.provider, undefined, 'nothing is sent anywhere yet');
		assert.match(
			service.current.warnings[0]!,
			/^Acme Corp no longer manages your AI provider\. Your own provider \(OpenAI Compatible \(any URL\)\) stays off until you turn it on/,
		);
		assert.throws(() => service.client(), /no longer manages your AI provider/);
		// A new window (a restart) remembers the member has not said yes yet.
		const restarted = new ProviderService(policy, host);
		assert.equal(restarted.current.provider, undefined);
		restarted.dispose();
		await service.useOwnProvider();
		assert.equal(baseUrlNow(), 'https://api.public-llm.example/v1');
		policy.apply(validSettings.plainCompatible, 9);
		policy.apply({ ...validSettings.plainCompatible, enabled: false }, 10);
		assert.equal(service.current.provider, undefined, 'each end of enforcement asks again');
	});

	it("uses VS Code's Microsoft sign-in for Entra ID, else one @azure/identity provider per scope and tenant", async () => {
		policy.apply(validSettings.entraId);
		const credential = service.credentials();
		assert.equal(credential.kind, 'entra');
		microsoft = 'vscode-microsoft-token';
		assert.equal(credential.kind === 'entra' && (await credential.getToken()), 'vscode-microsoft-token');
		assert.equal(entraProvidersMade.length, 0);
		microsoft = undefined;
		assert.equal(credential.kind === 'entra' && (await credential.getToken()), 'entra-token-1');
		assert.equal(credential.kind === 'entra' && (await credential.getToken()), 'entra-token-1');
		assert.deepEqual(entraProvidersMade, [{ scope: 'https://ai.azure.com/.default', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }]);
	});

	it('turns a failed Entra ID chain into one sentence naming what to do; the whole chain goes to the output channel only (#13 item 5)', async () => {
		policy.apply(validSettings.entraId);
		const credential = service.credentials();
		const chain = [
			'ChainedTokenCredential authentication failed.',
			"CredentialUnavailableError: Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using 'az login'.",
			'CredentialUnavailableError: Azure Developer CLI could not be found.',
			'CredentialUnavailableError: EnvironmentCredential is unavailable. No underlying credential could be used.',
			'AuthenticationError: DeviceCodeCredential: User cancelled the device code flow.',
		].join('\n');
		chainFailure = Object.assign(new Error(chain), { name: 'AggregateAuthenticationError' });
		await assert.rejects(credential.kind === 'entra' ? credential.getToken() : Promise.resolve(), (error: Error) => {
			assert.equal(error.name, 'SignInRequiredError');
			assert.equal(
				error.message,
				'Could not get an Entra ID token: run `az login --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47` in a terminal, or sign in with Microsoft, then try again (details in the Org Provider Policy output).',
			);
			return true;
		});
		assert.equal(logged.length, 1);
		assert.ok(logged[0]!.includes('Azure CLI could not be found') && logged[0]!.includes('User cancelled the device code flow'), logged[0]);
	});

	it('offers only the allowed models, remembers the choice per organization and refuses others', async () => {
		policy.apply(validSettings.azureDeployment);
		assert.deepEqual(await service.models(), { models: ['gpt-4o', 'gpt-4o-mini'], selected: 'gpt-4o' });
		await service.selectModel('gpt-4o-mini');
		assert.equal((await service.models()).selected, 'gpt-4o-mini');
		assert.deepEqual([...state.values.keys()], ['orgProviderPolicy.model.acme']);
		await assert.rejects(service.selectModel('gpt-5'), /gpt-5 is not an allowed model/);
	});

	it('offers the reasoning efforts the policy lets members pick, keeps the choice per organization and model, and drops one no longer allowed', async () => {
		const withEfforts = (efforts: string[]) => ({
			...validSettings.plainCompatible,
			provider: {
				...validSettings.plainCompatible.provider,
				models: {
					allowed: ['o4-mini', 'o3', 'gpt-4o'],
					settings: {
						'o4-mini': { reasoning: true, reasoningEfforts: efforts },
						o3: { reasoning: true, pinned: { reasoning_effort: 'high' } },
						// Not marked as reasoning: nothing is added for it, so without a choice its own default applies.
						'gpt-4o': { reasoningEfforts: efforts },
					},
				},
			},
		});
		policy.apply(withEfforts(['low', 'high']) as PolicySettingsInput);
		assert.deepEqual(service.effortChoice('o4-mini'), { efforts: ['low', 'high'], chosen: undefined, unchosen: 'low' });
		assert.equal(service.effortChoice('o3'), undefined, 'one effort pinned for everyone: nothing to pick');
		assert.deepEqual(service.effortChoice('gpt-4o'), { efforts: ['low', 'high'], chosen: undefined, unchosen: undefined });
		await service.selectEffort('o4-mini', 'high');
		assert.equal(service.effortChoice('o4-mini')?.chosen, 'high');
		assert.equal(state.get<string>('orgProviderPolicy.model.acme.effort.o4-mini'), 'high');
		await assert.rejects(service.selectEffort('o4-mini', 'xhigh'), /xhigh is not a reasoning effort your organization allows for o4-mini/);
		await assert.rejects(service.selectEffort('o3', 'low'), /low is not a reasoning effort your organization allows for o3/);
		// The admin narrows the set: the member's pick no longer applies, and the policy's first effort does.
		policy.apply(withEfforts(['low']) as PolicySettingsInput, 13);
		assert.deepEqual(service.effortChoice('o4-mini'), { efforts: ['low'], chosen: undefined, unchosen: 'low' });
		await service.selectEffort('o4-mini', undefined);
		assert.equal(state.get<string>('orgProviderPolicy.model.acme.effort.o4-mini'), undefined);
	});

	it("uses the member's own provider while no policy is enabled, and needs no key for a keyless policy", async () => {
		member = { preset: 'custom', baseUrl: 'http://127.0.0.1:11434/v1', headers: { 'X-Own': '1' } };
		service.recompute();
		assert.equal(service.current.locked, false);
		assert.equal(service.current.provider?.baseUrl, 'http://127.0.0.1:11434/v1');
		policy.apply(validSettings.noMemberKey);
		assert.equal(service.credentials().kind, 'none');
	});
});
