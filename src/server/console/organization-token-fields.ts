import { AUTHORIZATION_HEADER, DEFAULT_TOKEN_LIFETIME_MINUTES, type ProviderSettings } from '../../policy';
import { errorSlot } from './fragments';
import { html, type SafeHtml } from './html';

/**
 * The settings form's organization-token part: members send a short-lived token this service
 * issues instead of a key; the admin sets what the gateway checks (audience), how long a token
 * lives and where it travels, and sees where gateways read the keys.
 */
export function organizationTokenFields(provider: ProviderSettings | undefined, issuer: string): SafeHtml {
	const token = provider?.organizationToken;
	return html`<div class="field toggle">
			<label><input type="checkbox" id="organization-token" ${token ? 'checked' : ''}> Organization token: members send a short-lived token from this service, never a key</label>
			<p class="hint">For a gateway in front of the endpoint that validates JSON Web Tokens (API Management, LiteLLM, Kong, Envoy, Apache): members never handle a key, and a removed member gets no new token.</p>
			${errorSlot('provider.organizationToken')}
		</div>
		<div id="organization-token-panel" class="subpanel" ${token ? '' : 'hidden'}>
			<div class="field">
				<label for="token-audience">Audience <span class="required">required</span></label>
				<input id="token-audience" placeholder="https://gateway.example.com (what the gateway expects in aud)" value="${token?.audience ?? ''}" spellcheck="false">
				${errorSlot('provider.organizationToken.audience')}
			</div>
			<div class="field">
				<label for="token-lifetime">Lifetime (minutes)</label>
				<input id="token-lifetime" class="narrow" inputmode="numeric" placeholder="${DEFAULT_TOKEN_LIFETIME_MINUTES}" value="${token?.lifetimeMinutes ?? ''}">
				${errorSlot('provider.organizationToken.lifetimeMinutes')}
				<p class="hint">A removed or deactivated member's last token still works for at most this long; the extension renews tokens before they expire.</p>
			</div>
			<div class="field">
				<label for="token-header">Header</label>
				<input id="token-header" placeholder="${AUTHORIZATION_HEADER} (sent as Bearer &lt;token&gt;)" value="${token && token.header !== AUTHORIZATION_HEADER ? token.header : ''}" spellcheck="false">
				${errorSlot('provider.organizationToken.header')}
			</div>
			<p class="hint">Gateways trust issuer <code id="token-issuer">${issuer}</code> and read its keys from <code>${issuer}/.well-known/jwks.json</code> (discovery: <code>${issuer}/.well-known/oauth-authorization-server</code>). Claims: <code>sub</code>, <code>email</code>, <code>groups</code>, <code>models</code>, <code>aud</code>. Rotate the signing key with <code>POST /api/v1/admin/token-keys/rotate</code>: the old key stays published while its tokens live.</p>
		</div>`;
}
