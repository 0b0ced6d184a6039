import type { EffectiveSettings } from '../lock/effective';
import type { SyncState } from '../sync/policy-sync';
import { describeState } from './effective-policy-text';

/** What the status bar item shows, decided from the state alone (the feature applies it to VS Code's item). */
export interface StatusItemView {
	text: string;
	command: 'orgProviderPolicy.showEffectivePolicy' | 'orgProviderPolicy.signIn' | 'orgProviderPolicy.setApiKey';
	/**
	 * The tooltip's lines, plain text: the feature renders them as Markdown text, so nothing in them
	 * (an organization's name, the service's own sentence for a failure) is read as Markdown or an icon.
	 */
	tooltip: string[];
	accessibilityLabel: string;
	/** Something waits for the member (a key to enter): shown in the warning colours until it is done. */
	attention: boolean;
}

export interface StatusItemInput {
	state: SyncState;
	effective: EffectiveSettings;
	organization: string | undefined;
	/** Undefined while the stored sign-in is still being read at start-up: nobody is known to be signed out yet. */
	signedIn: boolean | undefined;
	server: string;
	/** The provider in force wants an API key the member has not entered for it. */
	needsApiKey: boolean;
}

const SYNC_ICONS: Record<SyncState['status'], string> = {
	'in-sync': '$(pass)',
	stale: '$(warning)',
	error: '$(error)',
	'cannot-verify': '$(error)',
	syncing: '$(sync~spin)',
	'signed-out': '$(account)',
};

/**
 * The status bar item: where the member's policy stands, and the one thing to do when something
 * waits for them. A toast with *Set API Key* slides away after a few seconds (VS Code keeps only
 * errors with buttons on screen) and cannot be closed by an extension once the key is in; this item
 * stays while the key is missing and clears itself the moment it is entered.
 */
export function statusItemView(input: StatusItemInput): StatusItemView {
	const { effective, organization, signedIn } = input;
	// At start-up the sign-in is read after the cached policy is applied: "signed out" (and its
	// *Click to sign in*) would be wrong for that moment, and a click would begin a second sign-in.
	const starting = signedIn === undefined && input.state.status === 'signed-out';
	const stateText = starting ? 'starting (reading your sign-in)' : describeState(input.state);
	const lock = effective.locked ? '$(lock) ' : '';
	const name = organization ?? 'Org Provider Policy';
	const attention = signedIn === true && input.needsApiKey && effective.provider !== undefined;
	const host = attention ? hostOf(effective.provider!.baseUrl) : '';
	const lines = [
		'Org Provider Policy',
		`Organization: ${organization ?? '—'}`,
		`Provider: ${effective.label}${effective.locked ? ' (locked)' : ''}`,
		`Sync: ${stateText}`,
		`Policy server: ${input.server}`,
	];
	if (attention) {
		lines.push(`No API key is set for ${host}: click to enter yours.`);
	} else if (signedIn === false) {
		lines.push('Click to sign in.');
	}
	return {
		text: attention
			? `$(key) ${lock}${name}: API key needed`
			: `${starting ? '$(sync~spin)' : SYNC_ICONS[input.state.status]} ${lock}${name}`,
		// Signed out, the item is the way in; a missing key, the way to enter it; otherwise it shows what is in force.
		command:
			signedIn === false ? 'orgProviderPolicy.signIn' : attention ? 'orgProviderPolicy.setApiKey' : 'orgProviderPolicy.showEffectivePolicy',
		tooltip: lines,
		accessibilityLabel: `Org Provider Policy: ${organization ?? 'no organization'}, ${effective.label}, ${stateText}${attention ? `, API key needed for ${host}` : ''}`,
		attention,
	};
}

function hostOf(baseUrl: string): string {
	try {
		return new URL(baseUrl).host;
	} catch {
		return baseUrl;
	}
}
