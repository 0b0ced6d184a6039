import { describeRollout, withoutQuery, type Placement } from '../../policy';
import type { EffectiveSettings } from '../lock/effective';
import { describeVsCodeChat, type VsCodeChatVisibility } from '../lock/vscode-chat';
import type { SyncState } from '../sync/policy-sync';
import { modelSettingLines } from './model-settings-text';

/** What the service said of the member's groups and rollout: its answer, unreachable, or not asked (signed out). */
export type PlacementAnswer = Placement | 'unreachable' | undefined;

export function describeState(state: SyncState): string {
	const revision = state.policy ? `revision ${state.policy.document.revision}` : 'no policy';
	switch (state.status) {
		case 'signed-out':
			return 'signed out';
		case 'syncing':
			return 'syncing';
		case 'in-sync':
			return `in sync (${revision})`;
		case 'stale': {
			// Offline is the network's doing; a service that answers but refuses is not "offline".
			const since = `${state.unreachable ? 'offline' : 'not updated'} since ${new Date(state.since).toLocaleTimeString()}`;
			return `stale (${since}: ${state.reason}; ${revision})`;
		}
		case 'error':
			return `error (${state.message})`;
		case 'cannot-verify':
			return `locked: ${state.message}`;
	}
}

function placementLines(placement: PlacementAnswer): string[] {
	if (placement === undefined) {
		return [];
	}
	if (placement === 'unreachable') {
		return ['- Your groups: not known now (the policy service did not answer)'];
	}
	return [
		`- Your groups: ${placement.groups.length ? placement.groups.join(', ') : 'none'}`,
		...(placement.rollout ? [`- Rollout: ${describeRollout(placement.rollout)}`] : []),
	];
}

/** The text of *Show Effective Policy*: what is in force and why, never a secret value. */
export function effectivePolicyText(input: {
	state: SyncState;
	effective: EffectiveSettings;
	server: string;
	placement: PlacementAnswer;
	/** What VS Code's own chat does with the models, once known. */
	vscodeChat?: VsCodeChatVisibility | undefined;
}): string {
	const { state, effective, server, placement, vscodeChat } = input;
	const policy = state.policy;
	const lines = ['# Effective provider policy', '', `- Policy server: ${server}`, ''];
	if (!policy) {
		lines.push('No organization policy is applied: you choose your own provider.', '');
	} else {
		const document = policy.document;
		lines.push(
			`- Organization: ${document.organization.name} (${document.organization.id})`,
			`- Revision: ${document.revision}, saved by ${document.updatedBy} at ${document.updatedAt}`,
			`- Source: ${policy.source === 'live' ? 'live from the policy service' : 'cached copy'}, received ${new Date(policy.receivedAt).toISOString()}`,
			`- Sync: ${describeState(state)}`,
			`- Enabled: ${document.enabled ? 'yes — the provider is locked' : 'no — members choose freely'}`,
			`- Group overlays: ${document.appliedOverlays?.length ? `${document.appliedOverlays.join(', ')} (applied in this order over the organization's policy)` : 'none (the organization’s policy as it is)'}`,
			...placementLines(placement),
			...(document.usage?.budget
				? [
						`- Monthly token budget: ${document.usage.budget.monthlyTokens.toLocaleString('en-US')} (${document.usage.budget.enforcement === 'hard' ? 'requests refused once used up' : 'you are told at 80% and 100%'})`,
					]
				: []),
			...(document.organization.adminContact ? [`- Admin contact: ${document.organization.adminContact}`] : []),
			'',
		);
	}
	const provider = effective.provider;
	lines.push(`## Provider: ${effective.label}${effective.locked ? ' (read-only)' : ''}`, '');
	if (provider) {
		// Origin and path only, as everywhere the member may copy from: a gateway may carry a key in the query.
		lines.push(`- Base URL: ${withoutQuery(provider.baseUrl)}`);
		const headers = Object.keys(provider.headers);
		lines.push(`- Custom headers: ${headers.length ? headers.map((name) => `${name}: ••••••`).join(', ') : 'none'}`);
		lines.push(
			provider.organizationToken
				? `- Credential: organization token for ${provider.organizationToken.audience}, renewed automatically (kept in memory only; no key of yours)`
				: provider.azure?.identityAuth
					? '- Credential: your Microsoft Entra ID token (no API key)'
					: `- Member API key: ${provider.apiKeyRequired ? 'required (kept in secret storage)' : 'not used'}`,
		);
		if (provider.azure) {
			lines.push(
				`- Azure API version: ${provider.azure.apiVersion ?? 'v1 API'}`,
				`- Azure identity authentication: ${provider.azure.identityAuth ? `on (scope ${provider.azure.scope}${provider.azure.tenantId ? `, tenant ${provider.azure.tenantId}` : ''})` : 'off'}`,
			);
		}
		if (provider.models) {
			lines.push(
				`- Allowed models: ${provider.models.allowed.join(', ')}${provider.models.default ? ` (default ${provider.models.default})` : ''}`,
			);
			const settings = modelSettingLines(provider.models.settings);
			if (settings.length) {
				lines.push('- Model settings:', ...settings);
			}
			if (vscodeChat) {
				lines.push(`- In VS Code's own chat: ${describeVsCodeChat(vscodeChat)}`);
			}
		}
	}
	return `${lines.join('\n')}\n`;
}
