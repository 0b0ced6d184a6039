import type { IdentityClaims } from '../sso/membership';
import { html, page, type SafeHtml } from './html';
import { consoleReturnPath, loginPath } from './return-path';

/** The extension's id (publisher.name), the authority of its vscode:// links. */
export const VSCODE_EXTENSION_ID = 'org-provider-policy.org-provider-policy';

const formTokenField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** Single sign-on as the sign-in pages offer it. */
export interface SsoOffer {
	displayName: string;
	passwordSignIn: boolean;
}

/** The pages anyone may open: sign-in, device approval, invitations and what single sign-on answers. */
export const signInPages = {
	/** `next`: the console page the admin asked for, where a successful sign-in takes them. */
	login(formToken: string, options: { error?: string; email?: string; sso?: SsoOffer; breakGlass?: boolean; next?: string } = {}): string {
		const { error, email = '', sso, breakGlass = false } = options;
		const passwords = !sso || sso.passwordSignIn || breakGlass;
		const next = consoleReturnPath(options.next);
		return page(
			{ title: 'Sign in' },
			html`<section class="card narrow">
				<h1>${breakGlass ? 'Break-glass sign-in' : 'Sign in to the admin console'}</h1>
				${error ? html`<p class="error" role="alert" id="sign-in-error">${error}</p>` : ''}
				${
					sso && !breakGlass
						? html`<form method="post" action="/console/sso/start">
							${formTokenField(formToken)}<input type="hidden" name="purpose" value="console">
							${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
							<button type="submit" id="sso-sign-in" class="primary">Sign in with ${sso.displayName}</button>
						</form>`
						: ''
				}
				${breakGlass ? html`<p class="warning">For the admin the operator created (first start or <code>admin reset-link</code>) when single sign-on fails. Every use is recorded in the activity list and the service log.</p>` : ''}
				${
					passwords
						? html`<form method="post" action="${loginPath(next, breakGlass)}">
							${formTokenField(formToken)}
							<label>Email <input type="email" name="email" id="email" autocomplete="username" required value="${email}"></label>
							<label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
							<button type="submit" id="sign-in" class="${sso ? '' : 'primary'}">Sign in${sso ? ' with a password' : ''}</button>
						</form>
						<p class="muted" id="forgot-password">Forgot your password? Another admin can make you a link to set a new one (Members, <em>Reset password</em>); the service's operator can too, with <code>admin reset-link</code>.</p>`
						: html`<p class="muted">This organization signs in with ${sso?.displayName ?? 'single sign-on'} only. <a href="${loginPath(next, true)}" id="break-glass">Break-glass sign-in</a></p>`
				}
			</section>`,
		);
	},

	/** The RFC 8628 verification page: the code to approve, and who approves it. */
	device(options: {
		organization: string;
		serverUrl: string;
		formToken: string;
		userCode?: string;
		error?: string;
		done?: string;
		signedInAs?: string | undefined;
		sso?: SsoOffer | undefined;
	}): string {
		const { sso } = options;
		return page(
			{ title: 'Approve sign-in' },
			html`<section class="card narrow">
				<h1>Sign in to VS Code</h1>
				${options.done ? html`<p class="success" role="status" id="device-result">${options.done}</p>` : ''}
				${options.error ? html`<p class="error" role="alert" id="device-error">${options.error}</p>` : ''}
				${
					options.done
						? ''
						: html`<p>VS Code asks to sign in to <strong>${options.organization}</strong> and receive its provider policy. Approve only if you started this sign-in and the code matches the one VS Code shows.</p>
				<p class="muted" id="server-address">Policy service: <code>${options.serverUrl}</code> — the address VS Code's <code>orgProviderPolicy.serverUrl</code> should hold.</p>
				<form method="post" action="/device">
					${formTokenField(options.formToken)}
					<label>Code shown in VS Code <input name="user_code" id="user_code" required value="${options.userCode ?? ''}" autocomplete="off" spellcheck="false"></label>
					${
						options.signedInAs
							? html`<p>Signed in as <strong id="signed-in-as">${options.signedInAs}</strong>: approving signs VS Code in as this account.
									<button type="submit" form="switch-account-form" id="switch-account" class="link">Use another account</button></p>`
							: html`${
									sso
										? html`<input type="hidden" name="purpose" value="device"><button type="submit" formaction="/console/sso/start" formnovalidate id="sso-sign-in" class="primary">Sign in with ${sso.displayName}</button>
											${sso.passwordSignIn ? html`<p class="or" id="or-password">or with your e-mail and password</p>` : ''}`
										: ''
								}
							${
								!sso || sso.passwordSignIn
									? html`<label>Email <input type="email" name="email" id="email" autocomplete="username" required></label>
									<label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
									<p class="muted" id="forgot-password">Forgot your password? Ask your admin for a link to set a new one. Know it, and want another? <a href="/account/password">Change your password</a>.</p>`
									: ''
							}`
					}
					<div class="actions" ${!options.signedInAs && sso && !sso.passwordSignIn ? 'hidden' : ''}>
						<button type="submit" name="action" value="approve" id="approve" class="primary">${options.signedInAs ? `Approve as ${options.signedInAs}` : 'Approve'}</button>
						<button type="submit" name="action" value="deny" id="deny">Deny</button>
					</div>
				</form>
				${
					// Its own form, so Enter in the code field still means Approve (the first submit button of that form).
					options.signedInAs
						? html`<form method="post" action="/device" id="switch-account-form" hidden>${formTokenField(options.formToken)}<input type="hidden" name="user_code" value="${options.userCode ?? ''}"><input type="hidden" name="action" value="switch"></form>`
						: ''
				}`
				}
			</section>`,
		);
	},

	/** Accepting an invitation: a password, or — where the organization signs in with SSO only — just joining. */
	invitation(
		token: string,
		formToken: string,
		error?: string,
		account: { email?: string | undefined; ssoOnly?: string | undefined } = {},
	): string {
		const { email, ssoOnly } = account;
		return page(
			{ title: 'Accept invitation' },
			html`<section class="card narrow">
				<h1>${ssoOnly ? 'Join your organization' : 'Set your password'}</h1>
				${email ? html`<p>For <strong id="invited-account">${email}</strong>.</p>` : ''}
				${error ? html`<p class="error" role="alert">${error}</p>` : ''}
				<form method="post" action="/invite/${token}">
					${formTokenField(formToken)}
					${email && !ssoOnly ? html`<input type="email" name="username" value="${email}" autocomplete="username" hidden readonly>` : ''}
					${
						ssoOnly
							? html`<p>Your organization signs in with <strong>${ssoOnly}</strong>: no password is needed here.</p>
							<button type="submit" class="primary" id="accept">Join</button>`
							: html`<label>New password (12 characters or more) <input type="password" name="password" id="password" autocomplete="new-password" minlength="12" required></label>
							<button type="submit" class="primary" id="accept">Save password</button>`
					}
				</form>
			</section>`,
		);
	},

	/** An invitation link that opens nothing (used, withdrawn, expired, or its address already a member): why, and no form. */
	invitationRefused(sentence: string): string {
		return page(
			{ title: 'Accept invitation' },
			html`<section class="card narrow">
				<h1>This invitation link cannot be used</h1>
				<p class="error" role="alert" id="invitation-refused">${sentence}</p>
			</section>`,
		);
	},

	/**
	 * After an invitation is accepted: one click connects VS Code (a vscode:// link the extension
	 * handles, asking the member first), and the address to paste for those who set it by hand.
	 */
	welcome(connect: {
		serverUrl: string;
		organizationId: string;
		organizationName: string;
		sso?: string | undefined;
		installUrl: string;
		/** After a password reset rather than an invitation: the member's earlier sign-ins ended. */
		afterReset?: boolean;
	}): string {
		const link = `vscode://${VSCODE_EXTENSION_ID}/sign-in?${new URLSearchParams({ server: connect.serverUrl, organization: connect.organizationId }).toString()}`;
		return page(
			{ title: 'Welcome', scripts: ['/console/assets/console.js'] },
			html`<section class="card narrow">
				<h1>${connect.afterReset ? 'Password set' : "You're in"}</h1>
				${
					connect.afterReset
						? html`<p>Your new password is set, and your earlier sign-ins ended. Connect VS Code to <strong>${connect.organizationName}</strong> again:</p>`
						: html`<p>${connect.sso ? html`You're a member. When VS Code opens the sign-in page, choose <strong>Sign in with ${connect.sso}</strong>.` : 'Your password is set.'} Now connect VS Code to <strong>${connect.organizationName}</strong>:</p>`
				}
				<p><a class="button primary" id="open-in-vscode" href="${link}">Open in VS Code</a></p>
				<p class="muted">VS Code asks you to confirm the address, then signs you in. Not installed yet? <a id="install-extension" href="${connect.installUrl}">Install the Org Provider Policy extension</a> first.</p>
				<p>Or set <code>orgProviderPolicy.serverUrl</code> to this address and run <strong>Org Provider Policy: Sign In</strong>:</p>
				<div class="row">
					<input id="server-url" readonly value="${connect.serverUrl}" aria-label="Policy service address" spellcheck="false">
					<button type="button" id="copy-server-url" data-copy-from="#server-url">Copy</button>
				</div>
				<div id="status" class="status" role="status" aria-live="polite"></div>
			</section>`,
		);
	},

	/**
	 * On the way to the identity provider: the console script keeps `binding` in this origin's
	 * session storage (which no other origin, another port of this host included, can write) and
	 * goes on. The way back must bring it, so a sign-in cannot be planted from elsewhere.
	 */
	toIdentityProvider(target: string, binding: string): string {
		return page(
			{ title: 'Continue', scripts: ['/console/assets/console.js'] },
			html`<section class="card narrow" id="sso-leaving" data-target="${target}" data-binding="${binding}">
				<p class="success" role="status" id="sso-continue">Taking you to your identity provider…</p>
				<noscript><p class="error">Single sign-on needs JavaScript here: this tab keeps a one-time secret that only this site can read.</p></noscript>
				<p><a class="button primary" href="${target}" id="continue">Continue</a></p>
			</section>`,
		);
	},

	/** Back from the identity provider: the console script adds the binding and posts the answer here. */
	finishSignIn(answer: [string, string][]): string {
		return page(
			{ title: 'Signing in', scripts: ['/console/assets/console.js'] },
			html`<section class="card narrow">
				<form method="post" action="/console/sso/callback" id="sso-finish">
					${answer.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
					<input type="hidden" name="binding" id="sso-binding" value="">
					<p role="status">Finishing sign-in…</p>
					<noscript><p class="error">Single sign-on needs JavaScript here to finish.</p></noscript>
					<button type="submit" class="button primary" id="finish">Continue</button>
				</form>
			</section>`,
		);
	},

	/**
	 * The way back from the identity provider. A same-site page, not a redirect: a redirect chain
	 * that began at the identity provider would not carry the new SameSite=Strict session cookie.
	 */
	continueTo(target: string, message: string, title = 'Signed in'): string {
		return page(
			{ title, refreshTo: target },
			html`<section class="card narrow">
				<p class="success" role="status" id="sso-continue">${message}</p>
				<p><a class="button primary" href="${target}" id="continue">Continue</a></p>
			</section>`,
		);
	},

	/** A *Test sign-in* that passed: what the provider sent, then back to the settings (no automatic move: the admin reads it). */
	ssoTested(email: string, role: string, claims: IdentityClaims): string {
		return page(
			{ title: 'Test sign-in passed' },
			html`<section class="card narrow">
				<h1>Test sign-in passed</h1>
				<p class="success" role="status" id="sso-tested">${email} signs in as ${role}. Where single sign-on is offered, its button now appears on the sign-in pages, and password sign-in may be turned off.</p>
				${receivedClaims(claims)}
				<p><a class="button primary" href="/console/sso?tested=1" id="continue">Back to single sign-on settings</a></p>
			</section>`,
		);
	},

	/** A single sign-on that did not let the person in (or a test that did not pass), and what to do. */
	ssoRefused(message: string, retry: { href: string; label: string }, heading = 'Not signed in', claims?: IdentityClaims): string {
		return page(
			{ title: heading },
			html`<section class="card narrow">
				<h1>${heading}</h1>
				<p class="error" role="alert" id="sso-error">${message}</p>
				${claims ? receivedClaims(claims) : ''}
				<p><a href="${retry.href}" id="retry">${retry.label}</a></p>
			</section>`,
		);
	},
};

/** The claims as read through the mapping: what an admin needs to set rules (Entra ID's group object IDs). */
function receivedClaims(claims: IdentityClaims): SafeHtml {
	return html`<table id="sso-claims" class="claims">
		<caption>What the identity provider sent</caption>
		<tbody>
			<tr><th>E-mail</th><td>${claims.email ?? '(none)'}</td></tr>
			<tr><th>E-mail verified</th><td>${claims.emailVerified ? 'yes' : 'no'}</td></tr>
			<tr><th>Groups</th><td id="sso-claims-groups">${claims.groups.length > 0 ? claims.groups.join(', ') : '(none)'}</td></tr>
			<tr><th>Tenant (tid)</th><td>${claims.tenantId ?? '(none)'}</td></tr>
			<tr><th>Subject</th><td>${claims.subject}</td></tr>
		</tbody>
	</table>`;
}
