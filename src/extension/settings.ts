import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { HttpOptions } from '../client';
import type { Event } from './base/disposable';
import { parseManagedBootstrap, resolveServer, type ServerSettings } from './base/server-source';
import { PRESETS, type MemberProviderSettings, type PresetId } from './lock/effective';

export const SECTION = 'orgProviderPolicy';

/** The device-management bootstrap IT can drop on a machine so the extension arrives configured. */
export function bootstrapFilePath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
	switch (platform) {
		case 'win32':
			return join(env.ProgramData ?? 'C:\\ProgramData', 'OrgProviderPolicy', 'bootstrap.json');
		case 'darwin':
			return '/Library/Application Support/OrgProviderPolicy/bootstrap.json';
		default:
			return '/etc/org-provider-policy/bootstrap.json';
	}
}

export type { ServerSettings } from './base/server-source';

/** The settings that say which policy service this machine follows. */
const SERVER_SETTING_KEYS = ['serverUrl', 'organization', 'overrideManagedServer'].map((key) => `${SECTION}.${key}`);

const bootstrapFile = () => process.env.ORG_PROVIDER_POLICY_BOOTSTRAP ?? bootstrapFilePath();

/**
 * Fires when the policy service this machine follows may have changed: one of its settings, or IT's
 * bootstrap file written, replaced or removed (a service moved to a new address reaches members at
 * once, not at their next restart).
 */
export const onDidChangeServer: Event<void> = (listener) => {
	const file = bootstrapFile();
	const settings = vscode.workspace.onDidChangeConfiguration(
		(event) => SERVER_SETTING_KEYS.some((name) => event.affectsConfiguration(name)) && listener(),
	);
	const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file)), basename(file)));
	const changed = () => listener();
	const fileEvents = [watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed)];
	return {
		dispose: () => {
			settings.dispose();
			fileEvents.forEach((event) => event.dispose());
			watcher.dispose();
		},
	};
};

export function readServerSettings(file = bootstrapFile()): ServerSettings {
	const config = vscode.workspace.getConfiguration(SECTION);
	return resolveServer(
		{
			serverUrl: config.get<string>('serverUrl'),
			organization: config.get<string>('organization'),
			overrideManaged: config.get<boolean>('overrideManagedServer') === true,
		},
		parseManagedBootstrap(file, () => readFileSync(file, 'utf8')),
	);
}

export function readMemberProvider(): MemberProviderSettings {
	const config = vscode.workspace.getConfiguration(SECTION);
	const preset = config.get<string>('provider.preset') ?? 'openai';
	return {
		preset: (PRESETS.some((candidate) => candidate.id === preset) ? preset : 'openai') as PresetId,
		baseUrl: config.get<string>('provider.baseUrl') || undefined,
		headers: config.get<Record<string, string>>('provider.headers') ?? {},
	};
}

export async function writeMemberProvider(preset: PresetId, baseUrl: string | undefined): Promise<void> {
	const config = vscode.workspace.getConfiguration(SECTION);
	await config.update('provider.preset', preset, vscode.ConfigurationTarget.Global);
	await config.update('provider.baseUrl', baseUrl ?? '', vscode.ConfigurationTarget.Global);
}

/** VS Code's proxy settings, and our extra CA certificates. */
export function readHttpOptions(): HttpOptions {
	const http = vscode.workspace.getConfiguration('http');
	const ours = vscode.workspace.getConfiguration(SECTION);
	return {
		proxy: http.get<string>('proxy') || undefined,
		strictSSL: http.get<boolean>('proxyStrictSSL') ?? true,
		noProxy: http.get<string[]>('noProxy') ?? [],
		caFiles: ours.get<string[]>('http.caCertificates') ?? [],
	};
}

export const PROVIDER_SETTING_KEYS = ['provider.preset', 'provider.baseUrl', 'provider.headers'].map((key) => `${SECTION}.${key}`);
