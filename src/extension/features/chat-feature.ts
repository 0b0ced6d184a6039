import * as vscode from 'vscode';
import { withoutQuery } from '../../policy';
import { isChatRequestError } from '../../client/request-error';
import { thinkTagsAsReasoning } from '../../client/think-tags';
import { errorActionsFor } from './chat-error-actions';
import { FromWebviewSchema, ToWebviewSchema, type ChatEntry, type ErrorAction, type ToWebview } from '../../webview/chat/protocol';
import { Disposable } from '../base/disposable';
import { managedByLine } from '../lock/effective';
import { chatHtml } from './chat-html';
import { ChatConversation } from './chat-conversation';
import type { ChatTranscript } from './chat-transcript';
import type { ProviderService } from '../provider/provider-service';

export const CHAT_VIEW_ID = 'orgProviderPolicy.chat';

/** The chat webview: streamed answers, stop, model choice and the provider badge. */
export class ChatFeature extends Disposable implements vscode.WebviewViewProvider {
	private view: vscode.WebviewView | undefined;
	private readonly conversation: ChatConversation;
	private running: AbortController | undefined;
	private models: string[] = [];
	private model: string | undefined;
	private notice: string | undefined;

	constructor(
		private readonly extensionUri: vscode.Uri,
		private readonly provider: ProviderService,
		private readonly log: vscode.LogOutputChannel,
		/** Where the conversation outlives a reload of VS Code. */
		transcript: ChatTranscript,
		/** Whether a policy server is known (settings or the IT-managed file). */
		private readonly hasServer: () => boolean = () => true,
	) {
		super();
		this.conversation = new ChatConversation(transcript, provider.current.provider?.baseUrl, (message) => log.warn(message));
		this._register(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this));
		this._register(
			vscode.commands.registerCommand('orgProviderPolicy.openChat', () => vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`)),
		);
		this._register(
			vscode.commands.registerCommand('orgProviderPolicy.sendChatMessage', (text: unknown) =>
				typeof text === 'string' ? this.send(text) : undefined,
			),
		);
		// With the view open the model list follows at once; closed, it is read again at the next message
		// (so a policy applied at start-up loads no client and asks the endpoint nothing).
		this._register(
			provider.onDidChange(() => {
				this.markEndpointChange();
				return this.view ? void this.refreshModels() : (this.model = undefined);
			}),
		);
		// A key entered (here or in another window) clears the "No API key" notice it answers.
		this._register(provider.onDidChangeCredentials(() => this.view && void this.refreshModels()));
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('orgProviderPolicy.serverUrl') && this.postState()),
		);
	}

	/** The endpoint moved: the transcript says so, and the next request's context starts there. */
	private markEndpointChange(): void {
		if (this.conversation.markEndpoint(this.provider.current.provider?.baseUrl)) {
			this.postState();
		}
	}

	resolveWebviewView(view: vscode.WebviewView): void {
		this.view = view;
		const media = vscode.Uri.joinPath(this.extensionUri, 'dist');
		view.webview.options = { enableScripts: true, localResourceRoots: [media] };
		view.webview.html = chatHtml(view.webview, media);
		const listener = this._register(view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
		view.onDidDispose(() => {
			listener.dispose();
			this.view = undefined;
		});
	}

	private post(message: ToWebview): void {
		void this.view?.webview.postMessage(ToWebviewSchema.parse(message));
	}

	private postState(): void {
		const effective = this.provider.current;
		this.post({
			type: 'state',
			conversation: this.conversation.entries,
			...(this.conversation.canUndoClear ? { canUndoClear: true } : {}),
			models: this.models,
			...(this.model ? { model: this.model } : {}),
			...this.effortState(),
			// The badge stays short (it shares the bar with the model picker); who manages it gets its own row.
			badge: { label: effective.locked ? 'OpenAI Compatible' : effective.label, locked: effective.locked },
			...(managedByLine(effective) ? { managedBy: managedByLine(effective) } : {}),
			busy: this.running !== undefined,
			...(this.notice || effective.warnings[0] ? { notice: this.notice ?? effective.warnings[0] } : {}),
			...(!effective.locked && !this.hasServer() ? { welcome: true } : {}),
		});
	}

	private effortState(): { efforts?: string[]; effort?: string } {
		const choice = this.model ? this.provider.effortChoice(this.model) : undefined;
		// Without a choice the picker shows what is sent (the set's first, for a reasoning model), or the model's default.
		const shown = choice?.chosen ?? choice?.unchosen;
		return choice ? { efforts: [...choice.efforts], ...(shown ? { effort: shown } : {}) } : {};
	}

	private async refreshModels(): Promise<void> {
		try {
			const { models, selected } = await this.provider.models();
			this.models = models;
			this.model = selected;
			this.notice = undefined;
		} catch (error) {
			this.models = [];
			this.model = undefined;
			this.notice = error instanceof Error ? error.message : String(error);
		}
		this.postState();
	}

	private async receive(raw: unknown): Promise<void> {
		const parsed = FromWebviewSchema.safeParse(raw);
		if (!parsed.success) {
			this.log.warn('ignored a malformed message from the chat view');
			return;
		}
		const message = parsed.data;
		switch (message.type) {
			case 'ready':
				this.postState();
				await this.refreshModels();
				return;
			case 'send':
				// A failure is already in the conversation, with its buttons; only automation wants it thrown.
				await this.send(message.text).catch(() => undefined);
				return;
			case 'stop':
				this.running?.abort();
				return;
			case 'selectModel':
				try {
					await this.provider.selectModel(message.model);
					this.model = message.model;
				} catch (error) {
					this.notice = (error as Error).message;
				}
				this.postState();
				return;
			case 'selectEffort':
				try {
					if (this.model) {
						await this.provider.selectEffort(this.model, message.effort);
					}
				} catch (error) {
					this.notice = (error as Error).message;
				}
				this.postState();
				return;
			case 'selectProvider':
				await vscode.commands.executeCommand('orgProviderPolicy.selectProvider');
				return;
			case 'connect':
				await vscode.commands.executeCommand('orgProviderPolicy.connect');
				return;
			case 'copy':
				await vscode.env.clipboard.writeText(message.text);
				return;
			case 'action':
				await this.act(message.action, this.conversation.find(message.id));
				return;
			case 'clear':
				this.running?.abort();
				this.conversation.clear();
				this.postState();
				return;
			case 'undoClear':
				this.conversation.undoClear();
				this.postState();
				return;
		}
	}

	private async act(action: ErrorAction, entry: ChatEntry | undefined): Promise<void> {
		switch (action) {
			case 'setApiKey':
				await vscode.commands.executeCommand('orgProviderPolicy.setApiKey');
				return;
			case 'copyDetails': {
				const effective = this.provider.current;
				// The endpoint without its query: a gateway may carry a token there.
				const endpoint = effective.provider ? withoutQuery(effective.provider.baseUrl) : 'none';
				const details = [
					`Error: ${entry?.error ?? 'unknown'}`,
					`Provider: ${effective.label}`,
					`Endpoint: ${endpoint}`,
					`Model: ${this.model ?? 'none'}`,
					`Time: ${new Date().toISOString()}`,
				];
				await vscode.env.clipboard.writeText(details.join('\n'));
				void vscode.window.showInformationMessage('Error details copied (no keys or header values are included).');
				return;
			}
			case 'showLog':
				this.log.show();
				return;
			case 'signInWithMicrosoft':
				await vscode.commands.executeCommand('orgProviderPolicy.useMicrosoftSignIn');
				await this.retry(entry);
				return;
			case 'tryAgain':
				await this.retry(entry);
				return;
		}
	}

	/** Sends the question a failed answer answered again, as a new turn. */
	private async retry(failed: ChatEntry | undefined): Promise<void> {
		const question = this.conversation.questionOf(failed);
		if (question) {
			await this.send(question.content).catch(() => undefined); // its own failure is shown under it
		}
	}

	/** Sends a message and streams the answer; returns the answer text (also for automation). */
	async send(text: string): Promise<string> {
		if (this.running) {
			throw new Error('an answer is still streaming');
		}
		if (!this.model) {
			await this.refreshModels();
		}
		const { answer } = this.conversation.ask(text);
		const controller = new AbortController();
		this.running = controller;
		this.postState();
		try {
			if (!this.model) {
				throw new Error(this.notice ?? 'No model is available: check the provider with Test Connection.');
			}
			// The context starts after the last endpoint change.
			const history = this.conversation.context(answer);
			const effort = this.provider.effortChoice(this.model)?.chosen;
			const asked = effort ? { reasoning_effort: effort } : undefined;
			const events = this.provider.stream({ model: this.model, messages: history, asked }, controller.signal);
			for await (const event of thinkTagsAsReasoning(events)) {
				if (event.type === 'text') {
					answer.content += event.text;
					this.post({ type: 'delta', id: answer.id, text: event.text });
				} else if (event.type === 'reasoning') {
					answer.reasoning = (answer.reasoning ?? '') + event.text;
					this.post({ type: 'thinking', id: answer.id, text: event.text });
				}
			}
		} catch (error) {
			if (controller.signal.aborted) {
				answer.stopped = true;
			} else {
				answer.error = error instanceof Error ? error.message : String(error);
				// What the member can do, as buttons: a key to set where the key is the problem, and always the details.
				answer.actions = errorActionsFor(isChatRequestError(error) ? error.kind : undefined);
				this.log.warn(`chat request failed: ${answer.error}`);
			}
		} finally {
			this.running = undefined;
			this.conversation.persist();
			this.post({ type: 'done', id: answer.id });
			this.postState();
		}
		if (answer.error) {
			throw new Error(answer.error);
		}
		return answer.content;
	}
}
