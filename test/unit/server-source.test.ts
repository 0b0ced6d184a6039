import assert from 'node:assert/strict';
import { describeServer, parseManagedBootstrap, resolveServer } from '../../src/extension/base/server-source';

const FILE = '/etc/org-provider-policy/bootstrap.json';
const bootstrap = (text: string) => parseManagedBootstrap(FILE, () => text);
const failing = (code: string) =>
	parseManagedBootstrap(FILE, () => {
		throw Object.assign(new Error(code), { code });
	});

describe('where the policy server comes from, when what is set is malformed', () => {
	it('reads the IT-managed file, and names what is wrong with one instead of passing over it', () => {
		assert.deepEqual(bootstrap('{"serverUrl":"https://policy.corp.example/","organization":"corp"}'), {
			serverUrl: 'https://policy.corp.example',
			organization: 'corp',
		});
		assert.equal(failing('ENOENT'), undefined, 'no file is the usual case, not a problem');
		assert.deepEqual(failing('EACCES'), { problem: `The IT-managed bootstrap file ${FILE} cannot be read (EACCES): ask IT to fix it.` });
		assert.deepEqual(bootstrap('serverUrl=https://x'), {
			problem: `The IT-managed bootstrap file ${FILE} is not used: it is not JSON. Ask IT to fix it.`,
		});
		assert.deepEqual(bootstrap('{"serverUrl":"ftp://policy.corp.example"}'), {
			problem: `The IT-managed bootstrap file ${FILE} is not used: serverUrl: must be an http(s) address, not ftp:. Ask IT to fix it.`,
		});
		assert.deepEqual(bootstrap('{"organization":7}'), {
			problem: `The IT-managed bootstrap file ${FILE} is not used: serverUrl: is required; organization: must be a string. Ask IT to fix it.`,
		});
	});

	it('does not use a serverUrl setting that is not an http(s) URL, and says so where the member looks', () => {
		const typo = resolveServer({ serverUrl: 'policy.acme.example', organization: undefined, overrideManaged: false }, undefined);
		assert.equal(typo.serverUrl, undefined, 'no request goes to it');
		assert.equal(
			describeServer(typo),
			'none in use. Your setting orgProviderPolicy.serverUrl is not a URL ("policy.acme.example"): set it to the address on your invitation page.',
		);
		const managed = { serverUrl: 'https://policy.corp.example', organization: 'corp' };
		const overridden = resolveServer({ serverUrl: 'javascript:alert(1)', organization: undefined, overrideManaged: true }, managed);
		assert.equal(overridden.serverUrl, 'https://policy.corp.example', 'a malformed setting never outranks a good managed file');
		assert.equal(overridden.problem, undefined);
		const withPassword = resolveServer(
			{ serverUrl: 'https://me:secret@typed.example', organization: undefined, overrideManaged: false },
			managed,
		);
		assert.equal(
			describeServer(withPassword),
			'https://policy.corp.example (from the IT-managed bootstrap file; your setting https://typed.example/ is not used)',
			'a password in the ignored setting is not shown',
		);
		assert.equal(
			resolveServer({ serverUrl: 'https://me:secret@policy.acme.example', organization: undefined, overrideManaged: false }, undefined)
				.problem,
			'Your setting orgProviderPolicy.serverUrl must not carry a user name or password: set it to the address on your invitation page.',
		);
	});

	it('uses plain http only to this machine, from a setting or the IT-managed file, as a sign-in link is refused', () => {
		const remote = resolveServer(
			{ serverUrl: 'http://policy.acme.example:8787', organization: undefined, overrideManaged: false },
			undefined,
		);
		assert.equal(remote.serverUrl, undefined, 'no sign-in or token goes to it');
		assert.equal(
			remote.problem,
			"Your setting orgProviderPolicy.serverUrl must use https: plain http is for this machine only (policy.acme.example:8787 is another), or your sign-in and the policy's header values would cross the network unencrypted: set it to the address on your invitation page.",
		);
		assert.deepEqual(bootstrap('{"serverUrl":"http://10.0.0.5:8787"}'), {
			problem: `The IT-managed bootstrap file ${FILE} is not used: serverUrl: must use https: plain http is for this machine only (10.0.0.5:8787 is another), or your sign-in and the policy's header values would cross the network unencrypted. Ask IT to fix it.`,
		});
		for (const local of ['http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787']) {
			const resolved = resolveServer({ serverUrl: local, organization: undefined, overrideManaged: false }, undefined);
			assert.deepEqual([resolved.serverUrl, resolved.problem], [local, undefined], local);
		}
	});

	it("uses the member's own setting when the managed file is broken, and keeps saying the file is", () => {
		const chosen = resolveServer(
			{ serverUrl: 'https://policy.acme.example', organization: 'acme', overrideManaged: false },
			bootstrap('{"serverUrl":""}'),
		);
		assert.equal(chosen.serverUrl, 'https://policy.acme.example');
		assert.equal(
			describeServer(chosen),
			`https://policy.acme.example (from your settings) The IT-managed bootstrap file ${FILE} is not used: serverUrl: is not a URL. Ask IT to fix it.`,
		);
	});
});
