import assert from 'node:assert/strict';
import { readPolicyFile } from '../../src/server/policy-file';

const sources = { env: {}, readFile: () => '' };

describe('a policy file (org-policy plan / apply)', () => {
	it('that is not YAML says where, in one line', () => {
		const read = readPolicyFile('kind: org-provider-policy/v1\npolicy: [\n', sources);
		assert.equal(read.ok, false);
		const [error] = read.ok ? [] : read.errors;
		assert.match(error!.message, /^not YAML or JSON: .* at line 3, column 1$/);
	});

	it('with a misspelt section is refused, naming it, instead of leaving that part unapplied', () => {
		const read = readPolicyFile(
			['kind: org-provider-policy/v1', 'policy:', '  enabled: false', 'group:', '  Platform: [ana@acme.example]', ''].join('\n'),
			sources,
		);
		assert.deepEqual(read.ok ? [] : read.errors, [{ path: 'group', message: 'is not a section of a policy file (kind, policy, groups)' }]);
	});

	it("with the policy's settings at the top level says they go under policy:", () => {
		const read = readPolicyFile(
			['kind: org-provider-policy/v1', 'enabled: true', 'provider:', '  id: openai-compatible', '  baseUrl: https://x.example/v1', ''].join(
				'\n',
			),
			sources,
		);
		assert.deepEqual(read.ok ? [] : read.errors.map((error) => error.path + ': ' + error.message), [
			"enabled: is not read at the top of the file: the policy's settings go under policy:",
			"provider: is not read at the top of the file: the policy's settings go under policy:",
		]);
	});

	it('with yes, on or a quoted "true" for a boolean says what YAML read, and how to write it', () => {
		const read = readPolicyFile(
			[
				'kind: org-provider-policy/v1',
				'policy:',
				'  enabled: yes',
				'  provider:',
				'    id: openai-compatible',
				'    baseUrl: https://x.example/v1',
				'    apiKeyRequired: "true"',
				'    allowPlainHttp: maybe',
				'',
			].join('\n'),
			sources,
		);
		assert.deepEqual(read.ok ? [] : read.errors.map((error) => `${error.path}: ${error.message}`), [
			'policy.enabled: must be true or false, not the text "yes" (yes, no, on and off are text here: write true or false)',
			'policy.provider.apiKeyRequired: must be true or false, not the text "true" (write it without quotes)',
			'policy.provider.allowPlainHttp: must be true or false, not a string',
		]);
	});

	it('names every mistake in one run: an unset environment variable once, and the fields beside it', () => {
		const read = readPolicyFile(
			[
				'kind: org-provider-policy/v1',
				'policy:',
				'  enabled: yes',
				'  provider:',
				'    id: openai-compatible',
				'    baseUrl: ftp://x.example/v1',
				'    headers:',
				'      X-Gateway-Key: { fromEnv: NOT_SET_ANYWHERE }',
				'groups:',
				'  Research: [not-an-address]',
				'',
			].join('\n'),
			sources,
		);
		assert.deepEqual(read.ok ? [] : read.errors.map((error) => `${error.path}: ${error.message}`), [
			'policy.provider.headers.X-Gateway-Key: the environment variable NOT_SET_ANYWHERE is not set',
			'groups.Research[0]: must be an e-mail address',
			'policy.enabled: must be true or false, not the text "yes" (yes, no, on and off are text here: write true or false)',
			'policy.provider.baseUrl: must use https:, not ftp:',
		]);
	});

	it('with only what a file holds is read', () => {
		const read = readPolicyFile(['kind: org-provider-policy/v1', 'policy:', '  enabled: false', 'groups: {}', ''].join('\n'), sources);
		assert.deepEqual(read, { ok: true, settings: { enabled: false }, groups: {} });
	});
});
