import * as vscode from 'vscode';
import { Disposable } from '../base/disposable';
import type { KeyValueStore } from '../base/storage';
import type { EffectiveSettings } from '../lock/effective';
import { planUtilitySetting } from '../lock/utility-models';

/** VS Code's own utility-model settings (chat titles, commit messages; small, fast tasks), in `chat`. */
export const UTILITY_SETTINGS = ['utilityModel', 'utilitySmallModel'] as const;
type UtilitySetting = (typeof UTILITY_SETTINGS)[number];

/** The vendor VS Code stores with our model ids in these settings (`vendor/id`). */
const VENDOR = 'org-provider-policy';
/** What this extension last wrote into each setting, so it changes only its own value. */
const WRITTEN_KEY = 'orgProviderPolicy.utilityModelsWritten';
/** Reports wait for edits to settle. */
const REPORT_AFTER_MS = 2000;

export interface UtilityModelsReport {
	supported: boolean;
	utilityModel: string | null;
	utilitySmallModel: string | null;
}

/**
 * Points VS Code's own chat utility models at the organization's models where the policy names them
 * (`provider.models.utilityModel` / `utilitySmallModel`), and tells the service what the member's
 * VS Code holds, so admins see who changed it. A VS Code without the settings says so.
 */
export class UtilityModelsFeature extends Disposable {
	private reportTimer: ReturnType<typeof setTimeout> | undefined;
	private applying = Promise.resolve();

	constructor(
		private readonly provider: { readonly current: EffectiveSettings; readonly onDidChange: vscode.Event<EffectiveSettings> },
		private readonly state: KeyValueStore,
		private readonly report: (values: UtilityModelsReport) => Promise<void>,
		private readonly log: vscode.LogOutputChannel,
	) {
		super();
		this._register(provider.onDidChange(() => this.apply()));
		this._register(
			vscode.workspace.onDidChangeConfiguration((event) => {
				if (UTILITY_SETTINGS.some((name) => event.affectsConfiguration(`chat.${name}`))) {
					this.reportSoon();
				}
			}),
		);
		this._register({ dispose: () => clearTimeout(this.reportTimer) });
		this.apply();
	}

	private names(): Partial<Record<UtilitySetting, string>> {
		const effective = this.provider.current;
		const models = effective.locked ? effective.provider?.models : undefined;
		return Object.fromEntries(UTILITY_SETTINGS.flatMap((name) => (models?.[name] ? [[name, `${VENDOR}/${models[name]}`]] : [])));
	}

	private apply(): void {
		this.applying = this.applying.then(() => this.applyNow()).catch((error: unknown) => this.log.warn(`utility models: ${String(error)}`));
	}

	private async applyNow(): Promise<void> {
		const chat = vscode.workspace.getConfiguration('chat');
		const desired = this.names();
		const written = this.state.get<Partial<Record<UtilitySetting, string>>>(WRITTEN_KEY) ?? {};
		const next: Partial<Record<UtilitySetting, string>> = {};
		for (const name of UTILITY_SETTINGS) {
			const inspected = chat.inspect<string>(name);
			if (inspected?.defaultValue === undefined) {
				continue; // this VS Code has no such setting
			}
			const plan = planUtilitySetting(desired[name], written[name], inspected.globalValue);
			if (plan.write !== undefined) {
				await chat.update(name, plan.write ?? undefined, vscode.ConfigurationTarget.Global);
				this.log.info(
					plan.write
						? `pointed chat.${name} at ${plan.write} (the organization's policy)`
						: `removed chat.${name} (no longer in the policy)`,
				);
			}
			if (plan.written) {
				next[name] = plan.written;
			}
		}
		await this.state.update(WRITTEN_KEY, next);
		if (Object.keys(desired).length > 0) {
			this.reportSoon();
		}
	}

	private reportSoon(): void {
		if (Object.keys(this.names()).length === 0) {
			return;
		}
		clearTimeout(this.reportTimer);
		this.reportTimer = setTimeout(() => {
			const chat = vscode.workspace.getConfiguration('chat');
			const value = (name: UtilitySetting) => chat.get<string>(name) || null;
			const supported = chat.inspect(UTILITY_SETTINGS[0])?.defaultValue !== undefined;
			this.report({ supported, utilityModel: value('utilityModel'), utilitySmallModel: value('utilitySmallModel') }).catch(
				(error: unknown) => this.log.info(`could not report the utility-model settings: ${String(error)}`),
			);
		}, REPORT_AFTER_MS);
	}
}
