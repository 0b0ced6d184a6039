import type { EffectiveSettings } from './effective';

/** What a member can do straight from an announcement. */
export type AnnouncementAction = 'setApiKey' | 'useOwnProvider';

export interface Announcement {
	readonly message: string;
	readonly actions: readonly AnnouncementAction[];
}

const hostOf = (settings: EffectiveSettings) => {
	try {
		return settings.provider ? new URL(settings.provider.baseUrl).host : undefined;
	} catch {
		return settings.provider?.baseUrl;
	}
};

/** Where members pick another model in the assistants they use (README, *The organization's models*). */
export const WHERE_TO_PICK =
	"VS Code's chat: the model picker; Cline: API Provider settings; Roo Code: API Provider settings, Model (until then Roo Code answers with a stand-in)";

const modelsOf = (settings: EffectiveSettings) => (settings.provider?.models?.allowed ?? []).join(', ');

/**
 * One sentence for what changed between the settings a member last had and the ones now in force:
 * enforcement on or off, the endpoint, the models. Nothing when nothing the member would notice
 * changed. `needsKey` says the new endpoint wants a key the member has not entered for it yet.
 */
export function announcementFor(before: EffectiveSettings, after: EffectiveSettings, needsKey: boolean): Announcement | undefined {
	const organization = after.organization?.name ?? before.organization?.name ?? 'Your organization';
	const keyPrompt = needsKey
		? { text: ' — enter your API key', actions: ['setApiKey'] as AnnouncementAction[] }
		: { text: '', actions: [] };
	if (!before.locked && after.locked && after.provider) {
		return {
			message: `${organization} now manages your AI provider: requests go to ${hostOf(after)}${keyPrompt.text}.`,
			actions: keyPrompt.actions,
		};
	}
	if (before.locked && before.provider && !after.locked) {
		return {
			message: `${organization} no longer manages your AI provider. Your own provider stays off until you turn it on.`,
			actions: ['useOwnProvider'],
		};
	}
	if (!before.locked || !after.locked || !after.provider) {
		return undefined;
	}
	const changes: string[] = [];
	if (before.provider?.baseUrl !== after.provider.baseUrl) {
		changes.push(`${organization} moved its endpoint to ${hostOf(after)}${keyPrompt.text}`);
	}
	if (modelsOf(before) !== modelsOf(after)) {
		const models = modelsOf(after) ? `now ${modelsOf(after)}` : 'any the endpoint lists';
		const kept = after.provider.models?.allowed;
		const removed = kept ? (before.provider?.models?.allowed ?? []).filter((model) => !kept.includes(model)) : [];
		if (removed.length > 0) {
			// Assistants keep the model a member picked: name it and the action first (a collapsed
			// notice shows one line), then where to pick another.
			changes.push(
				`${changes.length ? 'it' : organization} removed ${removed.join(', ')}: pick another model where you used it — ${WHERE_TO_PICK} (the models are ${models})`,
			);
		} else {
			changes.push(changes.length ? `the models are ${models}` : `${organization} changed the models: ${models}`);
		}
	}
	if (changes.length === 0) {
		return undefined;
	}
	return { message: `${changes.join('; ')}.`, actions: before.provider?.baseUrl !== after.provider.baseUrl ? keyPrompt.actions : [] };
}
