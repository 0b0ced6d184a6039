import * as z from 'zod';
import { formatFieldError, isLoopbackHost, parseWith } from '../../policy';

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
	/** Why an address that is set is not used (a malformed setting or bootstrap file): a sentence naming it. */
	problem?: string;
}

/** The bootstrap file IT deploys: `{ "serverUrl": "https://…", "organization": "acme" }`. */
const BootstrapSchema = z.object({
	serverUrl: z.string('must be a string').superRefine((value, context) => {
		const problem = serverUrlProblem(value);
		if (problem) {
			context.addIssue({ code: 'custom', message: problem });
		}
	}),
	organization: z.string('must be a string').optional(),
});

/** What the IT-managed bootstrap file gave: its server, or why the file is not used. */
export type ManagedServer = { serverUrl: string; organization: string | undefined } | { problem: string };

const NOT_A_URL = 'is not a URL';

/** Why `value` cannot be a policy server's address, or undefined when it can. */
export function serverUrlProblem(value: string): string | undefined {
	if (!URL.canParse(value)) {
		return NOT_A_URL;
	}
	const url = new URL(value);
	// As a sign-in link to one is refused: the sign-in's tokens and the policy's header values (a
	// gateway's key) would cross the network readable.
	const plainHttp = url.protocol === 'http:' && !isLoopbackHost(url.hostname);
	return (
		serverAddressProblem(url) ??
		(plainHttp
			? `must use https: plain http is for this machine only (${url.host} is another), or your sign-in and the policy's header values would cross the network unencrypted`
			: undefined)
	);
}

/** The same, for an address already parsed (a sign-in link's, a pasted one). */
export function serverAddressProblem(url: URL): string | undefined {
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		return `must be an http(s) address, not ${url.protocol}`;
	}
	// A password in the address would be sent, and shown in the status bar's tooltip, with every request.
	return url.username || url.password ? 'must not carry a user name or password' : undefined;
}

/** An address as it may be shown (the tooltip, Show Effective Policy, which members paste into tickets): never with a password. */
function withoutCredentials(value: string): string {
	// Not URL.parse: the oldest VS Code we support runs an older Node.
	const url = URL.canParse(value) ? new URL(value) : undefined;
	if (!url || (!url.username && !url.password)) {
		return value;
	}
	url.username = '';
	url.password = '';
	return url.href;
}

/**
 * The IT-managed bootstrap file wins over the member's `serverUrl` setting, unless the member chose
 * otherwise (`overrideManagedServer`, set when they confirm a sign-in link that replaces the managed
 * server): a link or a settings edit alone never silently outranks what IT deployed.
 */
export function resolveServer(
	setting: { serverUrl: string | undefined; organization: string | undefined; overrideManaged: boolean },
	managed: ManagedServer | undefined,
): ServerSettings {
	const fromFile = managed && 'serverUrl' in managed ? managed : undefined;
	const problems = managed && 'problem' in managed ? [managed.problem] : [];
	const typed = setting.serverUrl?.trim() || undefined;
	const typedProblem = typed === undefined ? undefined : serverUrlProblem(typed);
	// A malformed setting is named, not sent requests to (and never outranks a good managed file).
	const own = typedProblem ? undefined : typed;
	const withProblems = (settings: ServerSettings): ServerSettings =>
		problems.length ? { ...settings, problem: problems.join(' ') } : settings;
	if (fromFile && !(own && setting.overrideManaged)) {
		return withProblems({
			serverUrl: fromFile.serverUrl,
			organization: fromFile.organization,
			source: 'managed bootstrap',
			...(typed && typed !== fromFile.serverUrl ? { ignoredSetting: withoutCredentials(typed) } : {}),
		});
	}
	if (typedProblem) {
		// Quoted only when it is no URL at all (a missing https://): a URL is never repeated, it may carry a password.
		const quoted = typedProblem === NOT_A_URL ? ` ("${typed}")` : '';
		problems.push(`Your setting orgProviderPolicy.serverUrl ${typedProblem}${quoted}: set it to the address on your invitation page.`);
	}
	if (own) {
		return withProblems({
			serverUrl: own,
			organization: setting.organization?.trim() || undefined,
			source: 'settings',
			...(fromFile && fromFile.serverUrl !== own ? { replacesManaged: fromFile.serverUrl } : {}),
		});
	}
	return withProblems({ serverUrl: undefined, organization: undefined, source: 'none' });
}

/** One line for the status bar and Show Effective Policy: which server applies, and why. */
export function describeServer(server: ServerSettings): string {
	switch (server.source) {
		case 'managed bootstrap':
			return `${server.serverUrl} (from the IT-managed bootstrap file${server.ignoredSetting ? `; your setting ${server.ignoredSetting} is not used` : ''})`;
		case 'settings':
			return `${server.serverUrl} (from your settings${server.replacesManaged ? `, replacing the IT-managed ${server.replacesManaged} by your choice` : ''})${server.problem ? ` ${server.problem}` : ''}`;
		case 'none':
			return server.problem ? `none in use. ${server.problem}` : 'none configured';
	}
}

/**
 * The IT-managed bootstrap file: absent (undefined), its server, or why it is not used — a file IT
 * deployed wrongly is named with the field at fault instead of being passed over in silence.
 */
export function parseManagedBootstrap(file: string, read: () => string): ManagedServer | undefined {
	let text: string;
	try {
		text = read();
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'ENOENT'
			? undefined
			: { problem: `The IT-managed bootstrap file ${file} cannot be read (${code ?? 'error'}): ask IT to fix it.` };
	}
	const notUsed = (why: string) => ({ problem: `The IT-managed bootstrap file ${file} is not used: ${why}. Ask IT to fix it.` });
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch {
		return notUsed('it is not JSON');
	}
	const parsed = parseWith(BootstrapSchema, raw);
	if (!parsed.ok) {
		return notUsed(parsed.errors.map(formatFieldError).join('; '));
	}
	return { serverUrl: parsed.value.serverUrl.replace(/\/+$/, ''), organization: parsed.value.organization || undefined };
}
