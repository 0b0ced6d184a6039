/** Where the policy server's address comes from. */
export type ServerSource = 'settings' | 'managed bootstrap' | 'none';

export interface ServerSettings {
	serverUrl: string | undefined;
	organization: string | undefined;
	source: ServerSource;
	/** A serverUrl setting left out because the IT-managed file wins (the member did not choose to override it). */
	ignoredSetting?: string;
	/** The IT-managed server the member's own setting replaces, by their explicit choice. */
	replacesManaged?: string;
}

/**
 * The IT-managed bootstrap file wins over the member's `serverUrl` setting, unless the member chose
 * otherwise (`overrideManagedServer`, set when they confirm a sign-in link that replaces the managed
 * server): a link or a settings edit alone never silently outranks what IT deployed.
 */
export function resolveServer(
	setting: { serverUrl: string | undefined; organization: string | undefined; overrideManaged: boolean },
	managed: { serverUrl: string; organization: string | undefined } | undefined,
): ServerSettings {
	const own = setting.serverUrl?.trim() || undefined;
	if (managed && !(own && setting.overrideManaged)) {
		return {
			serverUrl: managed.serverUrl,
			organization: managed.organization,
			source: 'managed bootstrap',
			...(own && own !== managed.serverUrl ? { ignoredSetting: own } : {}),
		};
	}
	if (own) {
		return {
			serverUrl: own,
			organization: setting.organization?.trim() || undefined,
			source: 'settings',
			...(managed && managed.serverUrl !== own ? { replacesManaged: managed.serverUrl } : {}),
		};
	}
	return { serverUrl: undefined, organization: undefined, source: 'none' };
}

/** One line for the status bar and Show Effective Policy: which server applies, and why. */
export function describeServer(server: ServerSettings): string {
	switch (server.source) {
		case 'managed bootstrap':
			return `${server.serverUrl} (from the IT-managed bootstrap file${server.ignoredSetting ? `; your setting ${server.ignoredSetting} is not used` : ''})`;
		case 'settings':
			return `${server.serverUrl} (from your settings${server.replacesManaged ? `, replacing the IT-managed ${server.replacesManaged} by your choice` : ''})`;
		case 'none':
			return 'none configured';
	}
}
