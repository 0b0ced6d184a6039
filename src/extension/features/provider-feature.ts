import * as vscode from 'vscode';
import { withoutQuery } from '../../policy';
import { Disposable, Emitter } from '../base/disposable';
import { realScheduler } from '../base/scheduler';
import type { Announcement, AnnouncementAction } from '../lock/announcements';
import { managedByLine, managedSettingsMessage, PRESETS, providerChoices } from '../lock/effective';
import { PolicyAnnouncer } from '../lock/policy-announcer';

const ANNOUNCEMENT_BUTTONS: Record<AnnouncementAction, string> = { setApiKey: 'Set API Key', useOwnProvider: 'Use My Own Provider' };
import type { ProviderService } from '../provider/provider-service';
import { PROVIDER_SETTING_KEYS, writeMemberProvider } from '../settings';

/**
 * The provider picker (locked to the managed provider while a policy is in force), API keys,
 * model choice and Test Connection.
 */
export class ProviderFeature extends Disposable {
	private readonly announced = this._register(new Emitter<Announcement>());
	/** Each policy-change notice shown to the member. */
	readonly onDidAnnounce = this.announced.event;

	constructor(
		private readonly provider: ProviderService,
		private readonly log: vscode.LogOutputChannel,
	) {
		super();
		const command = (id: string, run: (...args: unknown[]) => unknown) => this._register(vscode.commands.registerCommand(id, run));
		command('orgProviderPolicy.selectProvider', () => this.selectProvider());
		command('orgProviderPolicy.providerChoices', () => providerChoices(this.provider.current));
		command('orgProviderPolicy.setApiKey', (key?: unknown) => this.setApiKey(typeof key === 'string' ? key : undefined));
		command('orgProviderPolicy.clearApiKey', () => this.clearApiKey());
		command('orgProviderPolicy.selectModel', (model?: unknown) => this.selectModel(typeof model === 'string' ? model : undefined));
		command('orgProviderPolicy.testConnection', () => this.testConnection());
		command('orgProviderPolicy.useOwnProvider', () => this.provider.useOwnProvider());
		this._register(new PolicyAnnouncer(provider, realScheduler, (announcement) => void this.announce(announcement)));
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => {
				if (!PROVIDER_SETTING_KEYS.some((key) => event.affectsConfiguration(key))) {
					return;
				}
				if (this.provider.current.locked) {
					// The policy wins; the member's edit stays in settings.json but has no effect.
					void vscode.window.showInformationMessage(managedSettingsMessage(this.provider.current));
				} else {
					this.provider.recompute();
				}
			}),
		);
	}

	/** A policy change, once, with the one action it calls for as a button. */
	private async announce(announcement: Announcement): Promise<void> {
		this.log.info(`policy change: ${announcement.message}`);
		this.announced.fire(announcement);
		const buttons = announcement.actions.map((action) => ANNOUNCEMENT_BUTTONS[action]);
		const choice = await vscode.window.showInformationMessage(announcement.message, ...buttons);
		if (choice === ANNOUNCEMENT_BUTTONS.setApiKey) {
			await this.setApiKey();
		} else if (choice === ANNOUNCEMENT_BUTTONS.useOwnProvider) {
			await this.provider.useOwnProvider();
		}
	}

	private async selectProvider(): Promise<void> {
		const effective = this.provider.current;
		const items = providerChoices(effective).map((choice) => ({
			label: `${choice.locked ? '$(lock) ' : ''}${choice.label}`,
			description: choice.locked ? 'set by your organization' : undefined,
			detail: choice.detail,
			choice,
		}));
		// The placeholder is one line in the picker: short enough to read whole.
		const picked = await vscode.window.showQuickPick(items, {
			title: 'Select API Provider',
			placeHolder: managedByLine(effective) ?? 'Choose where your assistant sends requests',
		});
		if (!picked || picked.choice.locked) {
			return;
		}
		const preset = PRESETS.find((candidate) => candidate.id === picked.choice.id)!;
		let baseUrl: string | undefined;
		if (!preset.baseUrl) {
			baseUrl = await vscode.window.showInputBox({
				title: 'OpenAI-compatible base URL',
				placeHolder: 'https://my-gateway.example.com/v1',
				validateInput: (value) => (/^https?:\/\/\S+$/.test(value) ? undefined : 'Enter an http(s) URL'),
			});
			if (!baseUrl) {
				return;
			}
		}
		await writeMemberProvider(preset.id, baseUrl);
		// Choosing a provider is the member's yes to using their own again.
		await this.provider.useOwnProvider();
	}

	private async setApiKey(given?: string): Promise<void> {
		const effective = this.provider.current;
		const key =
			given ??
			(await vscode.window.showInputBox({
				title: `API key for ${effective.provider?.baseUrl ?? effective.label}`,
				prompt: 'Kept in VS Code secret storage for this organization and endpoint; never in settings.',
				password: true,
				ignoreFocusOut: true,
				validateInput: (value) => (value.trim() ? undefined : 'Enter the key'),
			}));
		if (key?.trim()) {
			await this.provider.setApiKey(key.trim());
			this.log.info(`API key saved for ${effective.provider ? withoutQuery(effective.provider.baseUrl) : 'the provider'}`);
			if (given === undefined) {
				void vscode.window.showInformationMessage('API key saved in secret storage.');
			}
		}
	}

	private async clearApiKey(): Promise<void> {
		await this.provider.clearApiKey();
		void vscode.window.showInformationMessage('API key removed.');
	}

	private async selectModel(given?: string): Promise<string | undefined> {
		const { models, selected } = await this.provider.models();
		const model =
			given ??
			(
				await vscode.window.showQuickPick(
					models.map((label) => ({ label, description: label === selected ? 'current' : undefined })),
					{ title: 'Select Model' },
				)
			)?.label;
		if (model) {
			await this.provider.selectModel(model);
		}
		return model;
	}

	private async testConnection() {
		let report;
		try {
			report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Testing the connection…' }, () =>
				this.provider.client().testConnection(this.provider.chosenModel()),
			);
		} catch (error) {
			// No client at all (nothing chosen, or a policy that cannot be verified): the progress still ends with why.
			const message = error instanceof Error ? error.message : String(error);
			this.log.warn(`test connection: ${message}`);
			void vscode.window.showErrorMessage(`Test Connection could not run: ${message}`);
			return undefined;
		}
		this.log.info(
			`test connection to ${report.endpoint}: ${report.ok ? 'ok' : report.kind} — headers sent: ${
				Object.entries(report.headersSent)
					.map(([name, value]) => `${name}: ${value}`)
					.join(', ') || 'none'
			}`,
		);
		this.log.info(`  model listing: ${report.listing.message}`);
		for (const chat of report.chats) {
			this.log.info(`  test request to ${chat.model}: ${chat.ok ? 'answered' : chat.message}`);
		}
		for (const warning of report.warnings) {
			void vscode.window.showWarningMessage(warning);
		}
		if (report.ok) {
			void vscode.window.showInformationMessage(report.message);
		} else {
			// Actions as buttons, not prose: the key where the key is the problem, and the log.
			const keyProblem = report.kind === 'missing-key' || report.kind === 'key-rejected';
			void vscode.window.showErrorMessage(report.message, ...(keyProblem ? ['Set API Key'] : []), 'Show Log').then((choice) => {
				if (choice === 'Set API Key') {
					void this.setApiKey();
				} else if (choice === 'Show Log') {
					this.log.show();
				}
			});
		}
		return report;
	}
}
