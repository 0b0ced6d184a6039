import assert from 'node:assert/strict';
import { bearer, type RunningService } from './service';
import type { TestBrowser } from './sso-browser';

const SCIM_JSON = 'application/scim+json';

/** Creates a SCIM token through the console, as an admin does, and returns it. */
export async function scimToken(admin: TestBrowser, service: RunningService): Promise<string> {
	const page = await admin.submit(`${service.url}/console/sso`, '/console/sso/scim-token', {});
	const token = /id="scim-token" readonly value="([^"]+)"/.exec(await page.response.text())?.[1];
	assert.ok(token, 'the console shows the new token once');
	return token;
}

/** A directory's SCIM client of the service: any call, and the User calls the tests repeat. */
export function scim(service: RunningService, token: string) {
	const call = async (method: string, path: string, body?: unknown) =>
		fetch(`${service.url}/scim/v2${path}`, {
			method,
			headers: bearer(token, body === undefined ? {} : { 'content-type': SCIM_JSON }),
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
	return {
		call,
		create: (userName: string, extra: Record<string, unknown> = {}) =>
			call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, name: { givenName: 'Bob' }, ...extra }),
		patch: (id: string, operations: unknown[]) =>
			call('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations }),
	};
}
