import * as vscode from 'vscode';
import { Disposable } from '../base/disposable';
import type { KeyValueStore } from '../base/storage';
import type { EffectiveSettings } from '../lock/effective';
import {
	describeVsCodeChat,
	listsWithoutSignIn,
	vscodeChatNotice,
	vscodeChatVisibility,
	type VsCodeChatVisibility,
} from '../lock/vscode-chat';
import { CHAT_VIEW_ID } from './chat-feature';

/** What was last explained, per VS Code version: the notice is shown once, and again only if the answer or VS Code changes. */
const EXPLAINED_KEY = 'orgProviderPolicy.vscodeChatExplained';
/** GitHub Copilot's chat extension: before 1.122 its sign-in decides whether VS Code's chat lists our models. */
const COPILOT_CHAT = 'GitHub.copilot-chat';
/** How long a starting Copilot gets to register its models before its absence counts as "not signed in". */
const COPILOT_SETTLE_MS = 30_000;
const OPEN_CHAT_VIEW = 'Open Org Provider Policy Chat';

/**
 * Tells the member once when VS Code's own chat will not list the organization's models (a VS Code
 * before 1.122 with nobody signed in to GitHub Copilot, or VS Code's AI features turned off), and
 * where the models can be used instead. VS Code offers no API that says what its chat lists; this
 * decides from what an extension can observe (see `lock/vscode-chat.ts`).
 */
export class VsCodeChatFeature extends Disposable {
	private visibility: VsCodeChatVisibility | undefined;
	private settle: ReturnType<typeof setTimeout> | undefined;
	private started = false;

	constructor(
		private readonly provider: { readonly current: EffectiveSettings; readonly onDidChange: vscode.Event<EffectiveSettings> },
		private readonly state: KeyValueStore,
		private readonly log: vscode.LogOutputChannel,
	) {
		super();
		this._register(provider.onDidChange(() => this.start()));
		// Once decided, a Copilot sign-in or sign-out (its models come and go) can change the answer; before
		// that, Copilot's settling time decides when to look.
		this._register(vscode.lm.onDidChangeChatModels(() => this.visibility && void this.decide()));
		this._register({ dispose: () => clearTimeout(this.settle) });
		this.start();
	}

	/** What VS Code's chat does with the organization's models, once known. */
	get current(): VsCodeChatVisibility | undefined {
		return this.visibility;
	}

	/** From the first policy that names models on: earlier there is nothing VS Code's chat could list. */
	private start(): void {
		const effective = this.provider.current;
		if (this.started || !effective.locked || !effective.provider?.models?.allowed?.length) {
			return;
		}
		this.started = true;
		const copilot = vscode.extensions.getExtension(COPILOT_CHAT);
		if (copilot && !listsWithoutSignIn(vscode.version)) {
			// Copilot registers its models once signed in and started; give it time before judging.
			this.settle = setTimeout(() => void this.decide(), COPILOT_SETTLE_MS);
			return;
		}
		void this.decide();
	}

	private async decide(): Promise<void> {
		const copilotModels = await Promise.resolve(vscode.lm.selectChatModels({ vendor: 'copilot' })).then(
			(models) => models.length,
			() => 0,
		);
		const next = vscodeChatVisibility({
			vscodeVersion: vscode.version,
			copilotModels,
			aiFeaturesDisabled: vscode.workspace.getConfiguration('chat').get<boolean>('disableAIFeatures') === true,
		});
		if (JSON.stringify(next) === JSON.stringify(this.visibility)) {
			return;
		}
		this.visibility = next;
		this.log.info(`VS Code ${vscode.version}'s own chat and the organization's models: ${describeVsCodeChat(next)}`);
		const organization = this.provider.current.organization?.name ?? 'Your organization';
		const notice = vscodeChatNotice(organization, next);
		const explainedAs = `${vscode.version}:${next.listed ? 'listed' : next.reason}`;
		if (!notice || this.state.get<string>(EXPLAINED_KEY) === explainedAs) {
			return;
		}
		await this.state.update(EXPLAINED_KEY, explainedAs);
		const choice = await vscode.window.showInformationMessage(notice, OPEN_CHAT_VIEW);
		if (choice === OPEN_CHAT_VIEW) {
			await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
		}
	}
}
