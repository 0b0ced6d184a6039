import { isLoopbackHost } from '../../policy';
import { serverAddressProblem, type ServerSettings } from '../base/server-source';
/**
 * The `vscode://org-provider-policy.org-provider-policy/sign-in?server=…&organization=…` link on the
 * invitation page: one click sets the policy server (and organization) and starts sign-in. A web page
 * can open such a link too, and a server chosen by a stranger would hand them the member's provider,
 * so nothing changes before the member confirms the exact address.
 */
export const SIGN_IN_LINK_PATH = '/sign-in';
export const CONNECT = 'Connect and Sign In';
export const REPLACE_MANAGED = 'Replace the Managed Server';

export interface SignInLinkHost {
	/** The server in force now, and where it comes from (settings or the IT-managed bootstrap file). */
	configuredServer(): Pick<ServerSettings, 'serverUrl' | 'source'>;
	/** A modal question; resolves to the button chosen. */
	confirm(message: string, detail: string, button: string): Thenable<string | undefined>;
	/** `overrideManaged`: the member chose this server over the IT-managed one. */
	saveServer(serverUrl: string, organization: string | undefined, overrideManaged: boolean): Thenable<void>;
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
	if (serverAddressProblem(url)) {
		return { error: `The sign-in link's server address is not an http(s) URL: ${server}` };
	}
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
		return {
			error: `The sign-in link's server uses plain http on another machine (${url.origin}): your sign-in and tokens would cross the network unencrypted. Ask your admin for its https address.`,
		};
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
	const replacingManaged = current.source === 'managed bootstrap' && current.serverUrl !== link.serverUrl;
	const replacing =
		current.serverUrl && current.serverUrl !== link.serverUrl
			? replacingManaged
				? ` It replaces ${current.serverUrl}, which your IT department set up on this machine: choose this only if they asked you to.`
				: ` It replaces ${current.serverUrl}.`
			: '';
	const button = replacingManaged ? REPLACE_MANAGED : CONNECT;
	const answer = await host.confirm(
		`Connect VS Code to the policy service at ${link.serverUrl}?`,
		`Your organization's AI provider settings will come from this address.${replacing} Continue only if your organization sent you this link.`,
		button,
	);
	if (answer !== button) {
		return 'declined';
	}
	await host.saveServer(link.serverUrl, link.organization, replacingManaged);
	await host.signIn();
	return 'connected';
}

/** What a member pasted, read as a way to their organization: the server, and the invitation to accept first when it is one. */
export type PastedAddress = { serverUrl: string; organization: string | undefined; invitation: string | undefined } | { error: string };

/**
 * Reads what a member pastes when VS Code knows no policy server: the invitation page's
 * `vscode://…/sign-in?server=…` link, an invitation link (`https://policy.acme.example/invite/…`:
 * the service is where it points, and the invitation is accepted in the browser), or the service's
 * address itself (`https://` assumed when none is typed). The same rules as a sign-in link apply.
 */
export function parsePastedAddress(text: string): PastedAddress {
	const pasted = text.trim();
	if (!pasted) {
		return { error: 'Paste the invitation link or the address your admin gave you.' };
	}
	if (/^vscode(-insiders)?:/i.test(pasted)) {
		const link = new URL(pasted);
		const read = parseSignInLink(link.pathname, link.search.slice(1));
		return !read
			? { error: 'That VS Code link is not a sign-in link from your organization.' }
			: 'error' in read
				? read
				: { ...read, invitation: undefined };
	}
	let url: URL;
	try {
		url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(pasted) ? pasted : `https://${pasted}`);
	} catch {
		return { error: `Not an address: ${pasted}` };
	}
	if (serverAddressProblem(url)) {
		return { error: `The address is not an http(s) URL without a user name or password: ${url.protocol}//${url.host}` };
	}
	const invite = /^(.*)\/invite\/[^/]+\/?$/.exec(url.pathname);
	const base = `${url.origin}${invite ? invite[1] : url.pathname.replace(/\/(console|device)(\/.*)?$/, '')}`.replace(/\/+$/, '');
	const read = parseSignInLink(SIGN_IN_LINK_PATH, new URLSearchParams({ server: base }).toString());
	if (!read || 'error' in read) {
		return {
			error: (read && 'error' in read ? read.error : '').replace("The sign-in link's server", 'The address') || `Not an address: ${pasted}`,
		};
	}
	return { ...read, invitation: invite ? url.href : undefined };
}
