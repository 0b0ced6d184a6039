/**
 * Whether VS Code's own chat lists the organization's models, from what an extension can observe.
 *
 * Before VS Code 1.122 its chat listed models contributed by extensions only while the member was
 * signed in to GitHub Copilot: 1.122 made the chat usable with such models without a sign-in
 * (microsoft/vscode#316202 and #316515, May 2026). Signed in with Copilot Business or Enterprise,
 * they are listed only if the organization's Copilot policy allows "Bring Your Own Language Model
 * Key" (microsoft/vscode#308553) — a policy an extension cannot read, so it is said, not detected.
 * Our own host matrix agrees: 1.104 and 1.117 show only *Auto* with no sign-in, 1.139 picks the
 * organization's model as its default.
 */
export const LISTED_WITHOUT_SIGN_IN_SINCE = { major: 1, minor: 122 } as const;

export interface VsCodeChatFacts {
	/** `vscode.version`. */
	vscodeVersion: string;
	/** Models of GitHub Copilot's own vendor (`copilot`): registered only while Copilot is signed in. */
	copilotModels: number;
	/** `chat.disableAIFeatures`: the member turned VS Code's AI features, its chat included, off. */
	aiFeaturesDisabled: boolean;
}

export type VsCodeChatVisibility =
	| { listed: false; reason: 'ai-features-disabled' | 'copilot-sign-in-needed' }
	/** `copilotPolicy`: signed in to Copilot, where the organization's Copilot policy still decides. */
	| { listed: true; copilotPolicy: boolean };

export function vscodeChatVisibility(facts: VsCodeChatFacts): VsCodeChatVisibility {
	if (facts.aiFeaturesDisabled) {
		return { listed: false, reason: 'ai-features-disabled' };
	}
	if (facts.copilotModels > 0) {
		return { listed: true, copilotPolicy: true };
	}
	return listsWithoutSignIn(facts.vscodeVersion)
		? { listed: true, copilotPolicy: false }
		: { listed: false, reason: 'copilot-sign-in-needed' };
}

/** Whether this VS Code's chat lists extensions' models with nobody signed in to Copilot. */
export function listsWithoutSignIn(vscodeVersion: string): boolean {
	const [major = 0, minor = 0] = vscodeVersion.split('.').map((part) => Number.parseInt(part, 10));
	const since = LISTED_WITHOUT_SIGN_IN_SINCE;
	return major > since.major || (major === since.major && minor >= since.minor);
}

/** What the member is told, once, when VS Code's chat will not list the models; undefined when it does. */
export function vscodeChatNotice(organization: string, visibility: VsCodeChatVisibility): string | undefined {
	if (visibility.listed) {
		return undefined;
	}
	const elsewhere = "this extension's chat view, Cline and Roo Code use them as they are";
	return visibility.reason === 'ai-features-disabled'
		? `VS Code's own chat is off here (chat.disableAIFeatures), so it does not list ${organization}'s models; ${elsewhere}.`
		: `VS Code's own chat does not list ${organization}'s models here: before VS Code 1.122 it lists models from extensions only while you are signed in to GitHub Copilot (with Copilot Business or Enterprise, only if your organization allows "Bring Your Own Language Model Key"). Sign in to Copilot or update VS Code; ${elsewhere}.`;
}

/** One line for the log and Show Effective Policy. */
export function describeVsCodeChat(visibility: VsCodeChatVisibility): string {
	if (!visibility.listed) {
		return visibility.reason === 'ai-features-disabled'
			? 'not listed: VS Code’s AI features are turned off (chat.disableAIFeatures)'
			: 'not listed: this VS Code lists extensions’ models only with a GitHub Copilot sign-in (1.122 and later do without)';
	}
	return visibility.copilotPolicy
		? 'listed while your organization’s GitHub Copilot policy allows “Bring Your Own Language Model Key”'
		: 'listed (no GitHub Copilot sign-in needed)';
}
