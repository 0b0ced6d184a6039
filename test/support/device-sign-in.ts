/**
 * Client side of the service's sign-in, for tests and benchmarks: the real device flow, approved on
 * the /device page exactly as a member does in the browser. No server code is imported here, so
 * benchmark workers stay light.
 */

export interface TokenSet {
	access_token: string;
	refresh_token: string;
	organization: { id: string; name: string };
	policy_signing_key: { alg: 'Ed25519'; keyId: string; publicKey: string };
	user: { id: string };
}

export async function form(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
	return fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
		body: new URLSearchParams(fields),
		redirect: 'manual',
	});
}

/**
 * Submits one of the service's HTML forms as a browser does: open the page (which sets the form
 * cookie and carries the token), then post the fields with both.
 */
export async function submitPageForm(pageUrl: string, fields: Record<string, string>, postUrl = pageUrl.split('?')[0]!): Promise<Response> {
	const page = await fetch(pageUrl);
	const cookie = (page.headers.getSetCookie?.() ?? []).map((header) => header.split(';')[0]!).join('; ');
	const token = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
	return form(postUrl, { csrf: token, ...fields }, cookie ? { cookie } : {});
}

/** Approves (or denies) a device code on the /device page, as the member would. */
export function approveDevice(
	url: string,
	userCode: string,
	email: string,
	password: string,
	action: 'approve' | 'deny' = 'approve',
): Promise<Response> {
	return submitPageForm(`${url}/device?user_code=${encodeURIComponent(userCode)}`, { user_code: userCode, email, password, action });
}

export async function deviceSignIn(url: string, email: string, password: string): Promise<TokenSet> {
	const started = (await (await form(`${url}/oauth/device_authorization`, { client_id: 'vscode' })).json()) as {
		device_code: string;
		user_code: string;
	};
	const approval = await approveDevice(url, started.user_code, email, password);
	if (approval.status !== 200) {
		throw new Error(`approval failed: ${approval.status} ${await approval.text()}`);
	}
	const response = await form(`${url}/oauth/token`, {
		grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
		device_code: started.device_code,
		client_id: 'vscode',
	});
	if (response.status !== 200) {
		throw new Error(`token request failed: ${response.status} ${await response.text()}`);
	}
	return (await response.json()) as TokenSet;
}
