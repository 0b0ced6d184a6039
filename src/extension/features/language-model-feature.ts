import * as vscode from 'vscode';
import { isChatRequestError } from '../../client/request-error';
import { Disposable } from '../base/disposable';
import { respond, toChatMessages, toChatTools } from '../lm/messages';
import { modelInformation } from '../lm/model-information';
import type { TokenCounter } from '../lm/token-counter';
import type { ProviderService } from '../provider/provider-service';
import type { EffectiveSettings } from '../lock/effective';
import type { EffectiveStateEvents } from '../provider/effective-state';

/** The vendor id VS Code's model picker, `vscode.lm.selectChatModels({ vendor })` and Cline-style consumers know us by. */
export const LM_VENDOR = 'org-provider-policy';
export const MANAGE_MODELS_COMMAND = 'orgProviderPolicy.manageModels';

/** VS Code's Language Model errors carry the same one-sentence explanation Test Connection gives. */
function languageModelError(error: unknown): Error {
	const message = error instanceof Error ? error.message : String(error);
	if (isChatRequestError(error)) {
		switch (error.kind) {
			case 'missing-key':
			case 'key-rejected':
			case 'token-rejected':
			case 'azure-role':
			case 'forbidden':
			case 'budget':
				return vscode.LanguageModelError.NoPermissions(message);
			case 'not-found':
				return vscode.LanguageModelError.NotFound(message);
			case 'content-filtered':
				return vscode.LanguageModelError.Blocked(message);
		}
	}
	return new vscode.LanguageModelError(message);
}

/**
 * The organization's endpoint as a VS Code Language Model provider: its models appear in VS Code's
 * chat model picker and to every extension that uses `vscode.lm` (Cline, Roo Code, Kilo Code), and
 * their requests go through the same client, headers and credentials as our own chat view.
 */
export class LanguageModelFeature extends Disposable implements vscode.LanguageModelChatProvider {
	private readonly changed = this._register(new vscode.EventEmitter<void>());
	readonly onDidChangeLanguageModelChatInformation = this.changed.event;
	private lastState = '';
	private lastSettings: EffectiveSettings | undefined;

	constructor(
		private readonly provider: ProviderService,
		effective: Pick<EffectiveStateEvents, 'onDidChange'>,
		private readonly tokens: Pick<TokenCounter, 'count'>,
		private readonly log: vscode.LogOutputChannel,
	) {
		super();
		this._register(vscode.lm.registerLanguageModelChatProvider(LM_VENDOR, this));
		// Every change of the effective provider, and every applied revision, sign-in and sign-out:
		// consumers re-query even when the model list looks the same.
		this._register(
			effective.onDidChange(({ sync: state, settings }) => {
				const key = `${state.status === 'signed-out' ? 'out' : 'in'}:${state.policy?.document.revision ?? ''}`;
				if (key !== this.lastState || settings !== this.lastSettings) {
					this.lastState = key;
					this.lastSettings = settings;
					this.changed.fire();
				}
			}),
		);
		this._register(vscode.commands.registerCommand(MANAGE_MODELS_COMMAND, () => this.manage()));
	}

	async provideLanguageModelChatInformation(): Promise<vscode.LanguageModelChatInformation[]> {
		try {
			const { models } = await this.provider.models();
			return modelInformation(this.provider.current, models);
		} catch (error) {
			// No list without a key or a reachable endpoint; the picker then shows none, and the log says why.
			this.log.warn(`language models unavailable: ${error instanceof Error ? error.message : String(error)}`);
			return [];
		}
	}

	async provideLanguageModelChatResponse(
		model: vscode.LanguageModelChatInformation,
		messages: readonly vscode.LanguageModelChatRequestMessage[],
		options: vscode.ProvideLanguageModelChatResponseOptions,
		progress: vscode.Progress<vscode.LanguageModelResponsePart>,
		token: vscode.CancellationToken,
	): Promise<void> {
		const request = {
			model: model.id,
			// Images only where the model's settings say it takes them (capabilities.imageInput).
			messages: toChatMessages(messages, {
				imageInput: model.capabilities?.imageInput === true,
				instructionsRole: this.provider.modelSettings(model.id)?.reasoning ? 'developer' : 'system',
			}),
			tools: toChatTools(options.tools),
			toolChoice: options.toolMode === vscode.LanguageModelChatToolMode.Required ? ('required' as const) : ('auto' as const),
			asked: options.modelOptions,
		};
		let outcome: 'done' | 'cancelled';
		try {
			outcome = await respond((signal) => this.provider.stream(request, signal, 'language-model'), token, {
				text: (value) => progress.report(new vscode.LanguageModelTextPart(value)),
				toolCall: (callId, name, input) => progress.report(new vscode.LanguageModelToolCallPart(callId, name, input)),
			});
		} catch (error) {
			this.log.warn(`language model request to ${model.id} failed: ${error instanceof Error ? error.message : String(error)}`);
			throw languageModelError(error);
		}
		if (outcome === 'cancelled') {
			throw new vscode.CancellationError();
		}
	}

	async provideTokenCount(
		model: vscode.LanguageModelChatInformation,
		text: string | vscode.LanguageModelChatRequestMessage,
	): Promise<number> {
		const content =
			typeof text === 'string'
				? text
				: toChatMessages([text])
						.map(
							(message) =>
								JSON.stringify(message.content ?? '') + ('tool_calls' in message ? JSON.stringify(message.tool_calls ?? []) : ''),
						)
						.join('\n');
		return this.tokens.count(model.id, content);
	}

	/** The model picker's "manage" entry: the member's model and key for the organization's endpoint. */
	private async manage(): Promise<void> {
		const actions = [
			{ label: '$(symbol-misc) Select Model', command: 'orgProviderPolicy.selectModel' },
			{ label: '$(key) Set API Key', command: 'orgProviderPolicy.setApiKey' },
			{ label: '$(plug) Test Connection', command: 'orgProviderPolicy.testConnection' },
			{ label: '$(shield) Show Effective Policy', command: 'orgProviderPolicy.showEffectivePolicy' },
		];
		const effective = this.provider.current;
		const picked = await vscode.window.showQuickPick(actions, {
			title: effective.locked ? `Models managed by ${effective.organization?.name ?? 'your organization'}` : 'Your own provider',
		});
		if (picked) {
			await vscode.commands.executeCommand(picked.command);
		}
	}
}
