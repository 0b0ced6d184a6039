/**
 * The `vscode://org-provider-policy.org-provider-policy/sign-in?server=…&organization=…` link on the
 * invitation page: one click sets the policy server (and organization) and starts sign-in. A web page
 * can open such a link too, and a server chosen by a stranger would hand them the member's provider,
 * so nothing changes before the member confirms the exact address.
 */
export const SIGN_IN_LINK_PATH = '/sign-in';
export const CONNECT = 'Connect and Sign In';

export interface SignInLinkHost {
	/** The server configured now (settings or the managed bootstrap file), if any. */
	configuredServer(): string | undefined;
	/** A modal question; resolves to the button chosen. */
	confirm(message: string, detail: string, button: string): Thenable<string | undefined>;
	saveServer(serverUrl: string, organization: string | undefined): Thenable<void>;
	signIn(): Thenable<unknown>;
	showError(message: string): void;
}

export type SignInLink = { serverUrl: string; organization: string | undefined } | { error: string };

/** Reads a sign-in link's query; only an absolute http(s) server URL without credentials is taken. */
export function parseSignInLink(path: string, query: string): SignInLink | undefined {
	if (path !== SIGN_IN_LINK_PATH) {
		return undefined;
	}
	const params = new URLSearchParams(query);
	const server = params.get('server') ?? '';
	let url: URL;
	try {
		url = new URL(server);
	} catch {
		return { error: `The sign-in link has no valid server address (${server || 'none'}).` };
	}
	if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
		return { error: `The sign-in link's server address is not an http(s) URL: ${server}` };
	}
	const organization = params.get('organization')?.trim() || undefined;
	if (organization !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(organization)) {
		return { error: `The sign-in link names an organization id that is not valid: ${organization}` };
	}
	return { serverUrl: url.href.replace(/\/+$/, ''), organization };
}

export async function handleSignInLink(
	path: string,
	query: string,
	host: SignInLinkHost,
): Promise<'connected' | 'declined' | 'invalid' | 'ignored'> {
	const link = parseSignInLink(path, query);
	if (!link) {
		return 'ignored';
	}
	if ('error' in link) {
		host.showError(link.error);
		return 'invalid';
	}
	const current = host.configuredServer();
	const replacing = current && current !== link.serverUrl ? ` It replaces ${current}.` : '';
	const answer = await host.confirm(
		`Connect VS Code to the policy service at ${link.serverUrl}?`,
		`Your organization's AI provider settings will come from this address.${replacing} Continue only if your organization sent you this link.`,
		CONNECT,
	);
	if (answer !== CONNECT) {
		return 'declined';
	}
	await host.saveServer(link.serverUrl, link.organization);
	await host.signIn();
	return 'connected';
}
