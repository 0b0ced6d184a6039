import { isoTime } from '../clock';
import type { SsoAdminView } from '../sso/administration';
import type { SsoSettings } from '../sso/settings';
import { html, type SafeHtml } from './html';

/** The form's raw values: what the admin typed, shown again when a save is refused. */
export type SsoFormValues = Partial<Record<keyof SsoSettings, string | boolean>>;

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** The saved settings as the form shows them (lists one entry per line). */
export function formValuesOf(settings: SsoSettings | undefined): SsoFormValues {
	if (!settings) {
		return {
			// Offered only once the admin chooses to, after the settings work (#28).
			enabled: false,
			passwordSignIn: true,
			scopes: 'openid email profile',
			emailClaim: 'email',
			emailVerifiedClaim: 'email_verified',
			groupsClaim: 'groups',
		};
	}
	return {
		...settings,
		scopes: settings.scopes.join(' '),
		allowedDomains: settings.allowedDomains.join('\n'),
		tenantIds: settings.tenantIds.join('\n'),
		allowedGroups: settings.allowedGroups.join('\n'),
		adminGroups: settings.adminGroups.join('\n'),
		adminEmails: settings.adminEmails.join('\n'),
	};
}

const text = (values: SsoFormValues, name: keyof SsoSettings, label: string, hint: string, placeholder = '') => html`<div class="field">
	<label for="sso-${name}">${label}</label>
	<input id="sso-${name}" name="${name}" value="${String(values[name] ?? '')}" placeholder="${placeholder}" spellcheck="false">
	<p class="hint">${hint}</p>
</div>`;
const lines = (values: SsoFormValues, name: keyof SsoSettings, label: string, hint: string) => html`<div class="field">
	<label for="sso-${name}">${label}</label>
	<textarea id="sso-${name}" name="${name}" rows="2" spellcheck="false">${String(values[name] ?? '')}</textarea>
	<p class="hint">${hint}</p>
</div>`;
const toggle = (values: SsoFormValues, name: keyof SsoSettings, label: string, hint: string) => html`<div class="field toggle">
	<label><input type="checkbox" id="sso-${name}" name="${name}" value="on" ${values[name] === true ? 'checked' : ''}> ${label}</label>
	<p class="hint">${hint}</p>
</div>`;

export const ssoPages = {
	settings(state: {
		view: SsoAdminView;
		values: SsoFormValues;
		formToken: string;
		redirectUri: string;
		scimUrl: string;
		errors?: string[];
		notice?: string;
		scimToken?: string;
	}): SafeHtml {
		const { view, values } = state;
		return html`<section class="card">
			<header class="card-header">
				<h1>Single sign-on</h1>
				<p class="muted">${view.updatedAt ? html`Saved by ${view.updatedBy} at <time datetime="${isoTime(view.updatedAt)}">${isoTime(view.updatedAt)}</time>.` : 'Not set up yet.'}</p>
			</header>
			${state.notice ? html`<p class="success" role="status" id="sso-notice">${state.notice}</p>` : ''}
			${state.errors?.length ? html`<div class="error" role="alert" id="sso-errors"><p>Not saved:</p><ul>${state.errors.map((error) => html`<li>${error}</li>`)}</ul></div>` : ''}
			<p>Register this service with your identity provider as a web application (authorization code flow) with the redirect URI <code id="redirect-uri">${state.redirectUri}</code>.</p>
			<p id="sso-test-state" class="${view.tested ? 'success' : 'warning'}">${view.settings ? (view.tested ? 'A Test sign-in succeeded with these settings: the sign-in button is shown where single sign-on is offered, and password sign-in may be turned off.' : 'Not shown to anyone yet: the sign-in button appears only after a Test sign-in passes with these settings (and password sign-in can be turned off only then).') : ''}</p>
			<div id="status" class="status" role="status" aria-live="polite"></div>
			<form method="post" action="/console/sso" id="sso-form" data-keep-through-session-end>
				${csrfField(state.formToken)}
				${toggle(values, 'enabled', 'Offer single sign-on', 'Shows "Sign in with …" on the console sign-in page and on the page that approves VS Code sign-ins, once a Test sign-in has passed with the saved settings.')}
				${text(values, 'displayName', 'Button label', 'The provider as people know it: Sign in with <this>.', 'Okta')}
				${text(values, 'issuer', 'Issuer URL', 'Its discovery document is read from <issuer>/.well-known/openid-configuration.', 'https://login.microsoftonline.com/<tenant>/v2.0')}
				${text(values, 'clientId', 'Client ID', 'The application (client) ID the identity provider gave this service.')}
				<div class="field">
					<label for="sso-clientSecret">Client secret</label>
					<input id="sso-clientSecret" name="clientSecret" type="password" autocomplete="off" placeholder="${view.hasClientSecret ? 'saved — leave empty to keep it' : ''}">
					<p class="hint">Kept by the service and never shown again.</p>
				</div>
				${text(values, 'scopes', 'Scopes', 'Separated by spaces; openid is required.')}
				${text(values, 'emailClaim', 'E-mail claim', 'The claim that names the person’s account.')}
				${text(values, 'emailVerifiedClaim', 'E-mail verified claim', 'Must be true for anyone to sign in. Entra ID: add the optional claim xms_edov and enter it here.')}
				${text(values, 'groupsClaim', 'Groups claim', 'Where group membership comes from (Entra ID sends group object IDs).')}
				<h2>Who may join</h2>
				<p class="hint">Every rule that is filled in must hold. With none, only people already added here can sign in; with any, a matching person gets an account on first sign-in.</p>
				${lines(values, 'allowedDomains', 'Allowed e-mail domains', 'One per line: acme.example. Only a verified e-mail counts.')}
				${lines(values, 'tenantIds', 'Entra tenant IDs', 'One per line: the tid claim must be one of these.')}
				${lines(values, 'allowedGroups', 'Allowed groups', 'One per line: the person must be in one of these.')}
				${lines(values, 'adminGroups', 'Admin groups', 'Members of these groups are admins (and stop being admins when they leave them).')}
				${lines(values, 'adminEmails', 'Admin e-mails', 'One per line: these people are admins.')}
				${toggle(values, 'passwordSignIn', 'Allow password sign-in', 'Turn off once single sign-on works. The admin the operator created keeps a break-glass password sign-in at /console/login?break-glass=1.')}
				<div class="actions"><button type="submit" class="primary" id="sso-save">Save</button></div>
			</form>
			<form method="post" action="/console/sso/start" class="inline" data-keep-through-session-end>
				${csrfField(state.formToken)}<input type="hidden" name="purpose" value="test">
				<button type="submit" id="sso-test" ${view.settings ? '' : html`disabled aria-describedby="sso-test-why"`}>Test sign-in</button>
				${view.settings ? '' : html`<span class="hint" id="sso-test-why">Save the settings first: Test sign-in uses the saved ones.</span>`}
			</form>
			<h2>Provisioning (SCIM 2.0)</h2>
			<p>Tenant URL for Entra ID / base URL for Okta: <code id="scim-url">${state.scimUrl}</code>. Provisioning is <strong id="scim-state">${view.scimEnabled ? 'on' : 'off'}</strong>.</p>
			${
				state.scimToken
					? html`<div class="subpanel"><p>The SCIM token, shown this once:</p><div class="row"><input id="scim-token" readonly value="${state.scimToken}" spellcheck="false" aria-label="SCIM token"><button type="button" data-copy-from="#scim-token">Copy</button></div></div>`
					: ''
			}
			<form method="post" action="/console/sso/scim-token" class="inline" data-keep-through-session-end>${csrfField(state.formToken)}<button type="submit" id="scim-create" ${view.settings ? '' : html`disabled aria-describedby="scim-create-why"`}>${view.scimEnabled ? 'Replace SCIM token' : 'Create SCIM token'}</button>${view.settings ? '' : html` <span class="hint" id="scim-create-why">Save the single sign-on settings above first: the SCIM token is kept with them.</span>`}</form>
			${view.scimEnabled ? html`<form method="post" action="/console/sso/scim-token/revoke" class="inline" data-keep-through-session-end>${csrfField(state.formToken)}<button type="submit" id="scim-revoke">Turn provisioning off</button></form>` : ''}
		</section>`;
	},
};
