import { html, type SafeHtml } from './html';

export interface AccountPageState {
	readonly email: string;
	readonly role: string;
	readonly formToken: string;
	/** The account signs in through single sign-on only: there is no password to change. */
	readonly passwordless: boolean;
	readonly notice?: string | undefined;
	/** Why the change was refused, beside the field it is about. */
	readonly errors?: { current?: string | undefined; password?: string | undefined; repeat?: string | undefined; form?: string | undefined };
}

const fieldError = (id: string, message: string | undefined) =>
	html`<div class="field-error" id="${id}" role="alert">${message ?? ''}</div>`;

/** The signed-in admin's own account: who they are here, and their password. */
export function accountPage(state: AccountPageState): SafeHtml {
	const errors = state.errors ?? {};
	return html`<section class="card narrow">
		<h1>Your account</h1>
		<p><strong id="account-email">${state.email}</strong> (${state.role})</p>
		<div id="status" class="status" role="status" aria-live="polite"></div>
		${state.notice ? html`<p class="success" role="status" id="account-notice">${state.notice}</p>` : ''}
		${errors.form ? html`<p class="error" role="alert" id="account-refusal">${errors.form}</p>` : ''}
		<h2>Password</h2>
		${
			state.passwordless
				? html`<p class="muted" id="no-password">You sign in through single sign-on: there is no password here to change.</p>`
				: html`<form method="post" action="/console/account/password" id="password-form" data-keep-through-session-end>
					<input type="hidden" name="csrf" value="${state.formToken}">
					<input type="email" name="username" value="${state.email}" autocomplete="username" hidden readonly>
					<div class="field">
						<label for="current-password">Current password</label>
						<input type="password" id="current-password" name="current" autocomplete="current-password" required aria-describedby="current-password-error">
						${fieldError('current-password-error', errors.current)}
					</div>
					<div class="field">
						<label for="new-password">New password (12 characters or more)</label>
						<input type="password" id="new-password" name="password" autocomplete="new-password" minlength="12" required aria-describedby="new-password-error">
						${fieldError('new-password-error', errors.password)}
					</div>
					<div class="field">
						<label for="repeat-password">New password again</label>
						<input type="password" id="repeat-password" name="repeat" autocomplete="new-password" minlength="12" required aria-describedby="repeat-password-error">
						${fieldError('repeat-password-error', errors.repeat)}
					</div>
					<label class="toggle"><input type="checkbox" name="endSignIns" id="end-sign-ins" checked> Also sign out my VS Code everywhere (do this if someone else may know the old password)</label>
					<p class="hint">Your other console sessions end either way; this one stays.</p>
					<div class="actions"><button type="submit" class="primary" id="change-password">Change password</button></div>
				</form>`
		}
	</section>`;
}
