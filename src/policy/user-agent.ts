/**
 * The `User-Agent` the extension sends, to the endpoint and to the policy service alike: its own
 * name and version, and VS Code's. The service reads it back to show admins what each machine runs.
 */
export function extensionUserAgent(extensionVersion: string, vscodeVersion: string): string {
	return `OrgProviderPolicy/${extensionVersion} (VS Code ${vscodeVersion})`;
}

/** A version as the two products write theirs (1.2.3, 1.117.0-insider); anything else is not taken. */
const VERSION = String.raw`\d{1,5}\.\d{1,5}\.\d{1,5}(?:-[0-9A-Za-z.]{1,32})?`;
const AGENT = new RegExp(String.raw`^OrgProviderPolicy/(${VERSION}) \(VS Code (${VERSION})\)`);

/** What an extension's `User-Agent` says it runs; undefined for any other client, or an older extension that did not say. */
export function parseExtensionUserAgent(header: string | undefined): { extensionVersion: string; vscodeVersion: string } | undefined {
	const match = header === undefined || header.length > 200 ? null : AGENT.exec(header);
	return match ? { extensionVersion: match[1]!, vscodeVersion: match[2]! } : undefined;
}
