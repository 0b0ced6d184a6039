/** HTML with every interpolated value escaped, unless it is already {@link SafeHtml}. */
export class SafeHtml {
	constructor(readonly value: string) {}
	toString(): string {
		return this.value;
	}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
	if (value instanceof SafeHtml) {
		return value.value;
	}
	if (Array.isArray(value)) {
		return value.map(render).join('');
	}
	return value === null || value === undefined || value === false ? '' : escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
	return new SafeHtml(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]!) : ''), ''));
}

/** JSON for a `<script type="application/json">` block: `<` escaped so it cannot close the tag. */
export function jsonForScript(value: unknown): SafeHtml {
	return new SafeHtml(JSON.stringify(value).replace(/</g, '\\u003c'));
}

export interface PageOptions {
	title: string;
	organization?: string;
	user?: { email: string; role: string };
	csrfToken?: string;
	active?: 'settings' | 'revisions' | 'members' | 'groups' | 'usage' | 'devices' | 'sso' | 'tokens' | 'activity' | 'account';
	scripts?: string[];
	/** Stylesheets of this page alone, after the console's own. */
	styles?: string[];
	/** Moves on to this same-site address at once (`<meta http-equiv="refresh">`). */
	refreshTo?: string;
	/** The page answers a form post: the console script makes a reload read it afresh, not post again. */
	answersPost?: boolean;
}

export function page(options: PageOptions, body: SafeHtml): string {
	const nav = options.user
		? html`<nav class="topbar">
				<span class="brand">Org Provider Policy${options.organization ? html` · <strong>${options.organization}</strong>` : ''}</span>
				<a href="/console/settings" class="${options.active === 'settings' ? 'active' : ''}">Settings</a>
				<a href="/console/revisions" class="${options.active === 'revisions' ? 'active' : ''}">Revisions</a>
				<a href="/console/members" class="${options.active === 'members' ? 'active' : ''}">Members</a>
				<a href="/console/groups" class="${options.active === 'groups' ? 'active' : ''}">Groups</a>
				<a href="/console/usage" class="${options.active === 'usage' ? 'active' : ''}">Usage</a>
				<a href="/console/devices" class="${options.active === 'devices' ? 'active' : ''}">Devices</a>
				<a href="/console/sso" class="${options.active === 'sso' ? 'active' : ''}">Single sign-on</a>
				<a href="/console/tokens" class="${options.active === 'tokens' ? 'active' : ''}">API tokens</a>
				<a href="/console/activity" class="${options.active === 'activity' ? 'active' : ''}">Activity</a>
				<span class="account">
					<a href="/console/account" class="who ${options.active === 'account' ? 'active' : ''}" title="Your account and password">${options.user.email} (${options.user.role})</a>
					<form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="${options.csrfToken ?? ''}"><button type="submit" class="link">Sign out</button></form>
				</span>
			</nav>`
		: html``;
	return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${options.csrfToken ?? ''}">
${options.refreshTo ? html`<meta http-equiv="refresh" content="0;url=${options.refreshTo}">` : ''}
<title>${options.title} · Org Provider Policy</title>
<link rel="icon" type="image/svg+xml" href="/console/assets/icon.svg">
<link rel="stylesheet" href="/console/assets/console.css">
<link rel="stylesheet" href="/console/assets/tables.css">
${options.user ? html`<link rel="stylesheet" href="/console/assets/topbar.css">` : ''}
${(options.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body${options.answersPost ? html` data-answers-post` : ''}>
${nav}
<main>${body}</main>
</body>
</html>`}`;
}
