import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { HttpOptions } from '../client';
import { Emitter, type Event, type IDisposable } from './base/disposable';
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
 * once, not at their next restart). The file's content, not a watcher's event, decides whether it
 * changed.
 */
export function watchServerSettings(): { readonly onDidChange: Event<void>; dispose(): void } {
	const changed = new Emitter<void>();
	const file = bootstrapFile();
	const read = () => {
		try {
			return readFileSync(file, 'utf8');
		} catch {
			return undefined;
		}
	};
	let seen = read();
	const fileWatch = watchPath(file, () => {
		const now = read();
		if (now !== seen) {
			seen = now;
			changed.fire();
		}
	});
	const settings = vscode.workspace.onDidChangeConfiguration(
		(event) => SERVER_SETTING_KEYS.some((name) => event.affectsConfiguration(name)) && changed.fire(),
	);
	return { onDidChange: changed.event, dispose: () => [settings, fileWatch, changed].forEach((part) => part.dispose()) };
}

/**
 * Calls `touched` when `file` may have been created, changed or removed. A watcher sees only into a
 * folder that exists, so while the file's folder does not (IT's first deployment on a machine where
 * VS Code is already open), the nearest folder above it that does is watched for the next one down,
 * and the watch moves down as the folders appear (and back up if they are removed).
 */
function watchPath(file: string, touched: () => void): IDisposable {
	let watching: IDisposable[] = [];
	const release = () => watching.forEach((part) => part.dispose());
	const arm = () => {
		release();
		let folder = dirname(file);
		let name = basename(file);
		while (!existsSync(folder) && dirname(folder) !== folder) {
			name = basename(folder);
			folder = dirname(folder);
		}
		const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), name));
		const onEvent = () => {
			if (join(folder, name) !== file || !existsSync(folder)) {
				arm();
			}
			touched();
		};
		watching = [watcher, watcher.onDidCreate(onEvent), watcher.onDidChange(onEvent), watcher.onDidDelete(onEvent)];
	};
	arm();
	return { dispose: release };
}

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
