import type { PolicyDocument } from '../policy';
import type { EffectiveSettings } from './lock/effective';
import type { SyncState } from './sync/state';

// On the activation path: type imports only.

/**
 * What other extensions see of a custom header's value. The policy's headers may carry secrets (a
 * gateway's key) and are for the organization's endpoint only: another extension reaches it through
 * the Language Model API, which sends them, so it needs their names, never their values.
 */
export const HIDDEN_HEADER_VALUE = '••••••';

function hidden(headers: Record<string, string>): Record<string, string> {
	return Object.fromEntries(Object.keys(headers).map((name) => [name, HIDDEN_HEADER_VALUE]));
}

function hiddenIn(document: PolicyDocument): PolicyDocument {
	return document.provider ? { ...document, provider: { ...document.provider, headers: hidden(document.provider.headers) } } : document;
}

/** The document as the API hands it out: header values hidden. */
export function documentForApi(document: PolicyDocument | undefined): PolicyDocument | undefined {
	return document && hiddenIn(document);
}

export function syncStateForApi(state: SyncState): SyncState {
	return state.policy ? { ...state, policy: { ...state.policy, document: hiddenIn(state.policy.document) } } : state;
}

export function settingsForApi(settings: EffectiveSettings): EffectiveSettings {
	return settings.provider ? { ...settings, provider: { ...settings.provider, headers: hidden(settings.provider.headers) } } : settings;
}
