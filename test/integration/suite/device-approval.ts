import assert from 'node:assert/strict';

/**
 * Approves a device code on the service's /device page as the member would in a browser: opens the
 * page (its form cookie and token), then posts the form with their e-mail and password.
 */
export async function approveDeviceCode(
	service: string,
	userCode: string,
	member: { email: string; password: string },
): Promise<{ html: string }> {
	const page = await fetch(`${service}/device?user_code=${encodeURIComponent(userCode)}`);
	const html = await page.text();
	const approval = await fetch(`${service}/device`, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			cookie: page.headers
				.getSetCookie()
				.map((cookie) => cookie.split(';')[0])
				.join('; '),
		},
		body: new URLSearchParams({
			csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '',
			user_code: userCode,
			email: member.email,
			password: member.password,
			action: 'approve',
		}),
	});
	assert.equal(approval.status, 200, 'the device page approves the code');
	return { html };
}
