import assert from 'node:assert/strict';
import {
	PolicyRejectedError,
	verifySignedPolicy,
	type PolicyRejection,
	type PolicySettingsInput,
	type PolicyTrust,
} from '../../src/policy';

/** Why a member refuses this envelope under this trust; fails the test when it is accepted. */
export function refusalOf(envelope: unknown, trust: PolicyTrust): PolicyRejection {
	try {
		verifySignedPolicy(envelope, trust);
	} catch (error) {
		assert.ok(error instanceof PolicyRejectedError, String(error));
		return error.reason;
	}
	assert.fail('expected the policy to be refused');
}

/** Valid settings in each style the product supports. */
export const validSettings = {
	plainCompatible: {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: 'https://llm.acme.example/v1',
			headers: { 'X-Tenant': 'acme' },
			apiKeyRequired: true,
		},
	},
	azureDeployment: {
		enabled: true,
		adminContact: 'ai-platform@acme.example',
		provider: {
			id: 'openai-compatible',
			baseUrl: 'https://acme.openai.azure.com',
			headers: { 'X-Tenant': 'acme', 'X-Cost-Center': '42' },
			apiKeyRequired: true,
			azure: { apiVersion: '2024-06-01', identityAuth: false },
			models: { allowed: ['gpt-4o', 'gpt-4o-mini'], default: 'gpt-4o' },
		},
	},
	azureV1: {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: 'https://acme.openai.azure.com/openai/v1',
			azure: { apiVersion: 'preview' },
		},
	},
	entraId: {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: 'https://acme.services.ai.azure.com',
			apiKeyRequired: false,
			azure: {
				apiVersion: '2025-04-01-preview',
				identityAuth: true,
				tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
				scope: 'https://ai.azure.com/.default',
			},
			models: { allowed: ['gpt-4o-prod'] },
		},
	},
	noMemberKey: {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: 'http://127.0.0.1:8000/v1',
			headers: { Authorization: 'Bearer gateway-shared-token' },
			apiKeyRequired: false,
		},
	},
	organizationToken: {
		enabled: true,
		provider: {
			id: 'openai-compatible',
			baseUrl: 'https://gateway.acme.example/v1',
			apiKeyRequired: false,
			organizationToken: { audience: 'https://gateway.acme.example', lifetimeMinutes: 10 },
			models: { allowed: ['gpt-4o', 'gpt-4o-mini'] },
		},
	},
	disabled: { enabled: false },
} satisfies Record<string, PolicySettingsInput>;

export const stamp = {
	organization: { id: 'acme', name: 'Acme Corp' },
	revision: 12,
	updatedAt: '2026-11-26T10:00:00Z',
	updatedBy: 'admin@acme.example',
};
