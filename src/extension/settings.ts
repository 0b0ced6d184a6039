import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HttpOptions } from '../client';
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
export const SERVER_SETTING_KEYS = ['serverUrl', 'organization', 'overrideManagedServer'].map((key) => `${SECTION}.${key}`);

export function readServerSettings(file = process.env.ORG_PROVIDER_POLICY_BOOTSTRAP ?? bootstrapFilePath()): ServerSettings {
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
