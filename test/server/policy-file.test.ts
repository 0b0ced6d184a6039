import assert from 'node:assert/strict';
import { readPolicyFile } from '../../src/server/policy-file';

const sources = { env: {}, readFile: () => '' };

/** The mistakes a file of these lines is refused for, each as `path: message` (none when it is read). */
function mistakesIn(lines: readonly string[]): string[] {
	const read = readPolicyFile([...lines, ''].join('\n'), sources);
	return read.ok ? [] : read.errors.map((error) => `${error.path}: ${error.message}`);
}

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
		const mistakes = mistakesIn([
			'kind: org-provider-policy/v1',
			'enabled: true',
			'provider:',
			'  id: openai-compatible',
			'  baseUrl: https://x.example/v1',
		]);
		assert.deepEqual(mistakes, [
			"enabled: is not read at the top of the file: the policy's settings go under policy:",
			"provider: is not read at the top of the file: the policy's settings go under policy:",
		]);
	});

	it('with yes, on or a quoted "true" for a boolean says what YAML read, and how to write it', () => {
		const mistakes = mistakesIn([
			'kind: org-provider-policy/v1',
			'policy:',
			'  enabled: yes',
			'  provider:',
			'    id: openai-compatible',
			'    baseUrl: https://x.example/v1',
			'    apiKeyRequired: "true"',
			'    allowPlainHttp: maybe',
		]);
		assert.deepEqual(mistakes, [
			'policy.enabled: must be true or false, not the text "yes" (yes, no, on and off are text here: write true or false)',
			'policy.provider.apiKeyRequired: must be true or false, not the text "true" (write it without quotes)',
			'policy.provider.allowPlainHttp: must be true or false, not a string',
		]);
	});

	it('names every mistake in one run: an unset environment variable once, and the fields beside it', () => {
		const mistakes = mistakesIn([
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
		]);
		assert.deepEqual(mistakes, [
			'policy.provider.headers.X-Gateway-Key: the environment variable NOT_SET_ANYWHERE is not set',
			'groups.Research[0]: must be an e-mail address',
			'policy.enabled: must be true or false, not the text "yes" (yes, no, on and off are text here: write true or false)',
			'policy.provider.baseUrl: must use https:, not ftp:',
		]);
	});

	it("with a shell's ${NAME} or $NAME as a header's value is refused, pointing at fromEnv, without the rest of the value", () => {
		const mistakes = mistakesIn([
			'kind: org-provider-policy/v1',
			'policy:',
			'  enabled: true',
			'  provider:',
			'    id: openai-compatible',
			'    baseUrl: https://x.example/v1',
			'    headers:',
			'      X-Gateway-Key: ${GATEWAY_KEY}',
			'      X-Route-Key: $ROUTE_KEY',
			'      Authorization: Bearer sk-part-${TOKEN_TAIL}',
			'      X-Price: $5 a call',
			'  overlays:',
			'    - group: Research',
			'      headers: { X-Lab-Key: "${LAB_KEY}" }',
		]);
		assert.deepEqual(mistakes, [
			'policy.provider.headers.X-Gateway-Key: ${GATEWAY_KEY} is not expanded in a policy file: write { fromEnv: GATEWAY_KEY } to read the value from that environment variable',
			'policy.provider.headers.X-Route-Key: $ROUTE_KEY is not expanded in a policy file: write { fromEnv: ROUTE_KEY } to read the value from that environment variable',
			'policy.provider.headers.Authorization: ${TOKEN_TAIL} is not expanded in a policy file: put the whole value in an environment variable and write { fromEnv: NAME }',
			'policy.overlays[0].headers.X-Lab-Key: ${LAB_KEY} is not expanded in a policy file: write { fromEnv: LAB_KEY } to read the value from that environment variable',
		]);
		assert.ok(!mistakes.join('\n').includes('sk-part'), 'the rest of a value may be part of a secret');
	});

	it('with only what a file holds is read', () => {
		const read = readPolicyFile(['kind: org-provider-policy/v1', 'policy:', '  enabled: false', 'groups: {}', ''].join('\n'), sources);
		assert.deepEqual(read, { ok: true, settings: { enabled: false }, groups: {} });
	});
});
