import assert from 'node:assert/strict';
import { withUserAgent } from '../../src/extension/base/service-http';
import { extensionUserAgent, parseExtensionUserAgent } from '../../src/policy';

describe("the extension's User-Agent, as the service reads it back", () => {
	it('round-trips the extension and VS Code versions, pre-release tags included', () => {
		assert.equal(extensionUserAgent('0.3.0', '1.117.0'), 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)');
		assert.deepEqual(parseExtensionUserAgent(extensionUserAgent('0.3.0', '1.117.0')), {
			extensionVersion: '0.3.0',
			vscodeVersion: '1.117.0',
		});
		assert.deepEqual(parseExtensionUserAgent('OrgProviderPolicy/1.0.0 (VS Code 1.140.0-insider) undici'), {
			extensionVersion: '1.0.0',
			vscodeVersion: '1.140.0-insider',
		});
	});

	it('takes nothing from another client, an older extension, or a header made up to smuggle text', () => {
		for (const header of [
			undefined,
			'',
			'undici',
			'node',
			'curl/8.5.0',
			'OrgProviderPolicy/latest (VS Code 1.117.0)',
			'OrgProviderPolicy/0.3.0 (VS Code <script>)',
			'OrgProviderPolicy/0.3.0-<b>bold</b> (VS Code 1.117.0)',
			`OrgProviderPolicy/0.3.0 (VS Code 1.117.0)${' '.repeat(200)}`,
			'x OrgProviderPolicy/0.3.0 (VS Code 1.117.0)',
		]) {
			assert.equal(parseExtensionUserAgent(header), undefined, String(header));
		}
	});
});

describe("the policy service's requests from the extension", () => {
	const agent = extensionUserAgent('0.3.0', '1.117.0');

	it("carry the extension's User-Agent, keeping every other header and one a request names itself", () => {
		const init = withUserAgent(
			'https://policy.acme.example/api/v1/policy',
			{ headers: { authorization: 'Bearer t' }, method: 'GET' },
			agent,
		);
		const headers = new Headers(init?.headers);
		assert.equal(headers.get('user-agent'), agent);
		assert.equal(headers.get('authorization'), 'Bearer t');
		assert.equal(init?.method, 'GET');
		const own = withUserAgent(new URL('https://policy.acme.example/oauth/token'), { headers: { 'User-Agent': 'mine' } }, agent);
		assert.equal(new Headers(own?.headers).get('user-agent'), 'mine');
	});

	it("leave a Request's own headers alone (an init's headers would replace them)", () => {
		const request = new Request('https://policy.acme.example/api/v1/policy', { headers: { authorization: 'Bearer t' } });
		assert.equal(withUserAgent(request, undefined, agent), undefined);
	});
});
