import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, jsonOf, startService, type RunningService } from '../support/service';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);

describe('org-policy admin CLI', function () {
	this.timeout(30_000);
	let service: RunningService;
	let token: string;
	let dir: string;

	before(async () => {
		service = await startService();
		const admin = await service.signIn(ADMIN.email);
		token = (
			await jsonOf(
				await fetch(`${service.url}/api/v1/admin/tokens`, {
					method: 'POST',
					headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
					body: '{"label":"git"}',
				}),
			)
		).token;
		dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
	});
	after(async () => {
		await service.close();
		rmSync(dir, { recursive: true, force: true });
	});

	const cli = async (...args: string[]) => cliWith({}, ...args);
	const cliWith = async (env: Record<string, string>, ...args: string[]) => {
		try {
			const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'src/server/cli.ts'), ...args], {
				cwd: root,
				env: { ...process.env, ORG_POLICY_SERVER: service.url, ORG_POLICY_TOKEN: token, ...env },
			});
			return { code: 0, stdout, stderr };
		} catch (error) {
			const failed = error as { code: number; stdout: string; stderr: string };
			return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
		}
	};

	it('gets, sets with If-Match, refuses stale and invalid files, and lists history', async () => {
		const got = await cli('policy', 'get');
		assert.equal(got.code, 0);
		assert.deepEqual(JSON.parse(got.stdout), { enabled: false });
		assert.match(got.stderr, /revision 1, saved by system/);

		const file = join(dir, 'policy.json');
		writeFileSync(file, JSON.stringify(validSettings.azureDeployment));
		assert.equal((await cli('policy', 'set', file)).code, 1, 'a write without --revision or --force is refused');
		const saved = await cli('policy', 'set', file, '--revision', '1');
		assert.equal(saved.code, 0, saved.stderr);
		assert.match(saved.stdout, /saved revision 2/);

		const stale = await cli('policy', 'set', file, '--revision', '1');
		assert.equal(stale.code, 1);
		assert.match(stale.stderr, /412 the policy changed since you loaded it: revision 2 by admin@acme\.example/);

		// What get prints is kept in git: no secret header value, and set keeps the saved ones.
		const withSecrets = await cli('policy', 'get');
		assert.deepEqual(JSON.parse(withSecrets.stdout).provider.headers, { 'X-Cost-Center': '', 'X-Tenant': '' });
		assert.match(withSecrets.stderr, /secret header values are left empty: X-Cost-Center, X-Tenant; policy set keeps the saved value/);
		const changed = JSON.parse(withSecrets.stdout);
		changed.provider.headers['X-Cost-Center'] = '43';
		writeFileSync(file, JSON.stringify(changed));
		const kept = await cli('policy', 'set', file, '--revision', '2');
		assert.equal(kept.code, 0, kept.stderr);
		assert.deepEqual((await service.policies.current('acme'))?.signed.policy.provider?.headers, {
			'X-Cost-Center': '43',
			'X-Tenant': 'acme',
		});
		writeFileSync(file, JSON.stringify(validSettings.azureDeployment));

		writeFileSync(file, JSON.stringify({ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'http://example.com' } }));
		const invalid = await cli('policy', 'set', file, '--force');
		assert.equal(invalid.code, 1);
		assert.match(invalid.stderr, /provider\.baseUrl: must use https:/);

		const history = await cli('policy', 'history');
		assert.equal(history.code, 0);
		assert.match(history.stdout, /^2\t.*\tadmin@acme\.example/m);
		assert.match(history.stdout, /^3\t[^]*provider\.headers\.X-Cost-Center: •••••• → ••••••/m);
		assert.match(history.stdout, /provider\.headers\.X-Tenant: — → ••••••/);
		assert.ok(!history.stdout.includes('"acme"'), 'header values stay masked');
	});

	it("gets a group overlay's secret header empty and a readable header as it is; set keeps the overlay's saved value", async () => {
		await service.addUser('lab@acme.example', 'member');
		const admin = (await service.signIn(ADMIN.email)).access_token;
		const made = await fetch(`${service.url}/api/v1/admin/groups`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ displayName: 'Lab', members: ['lab@acme.example'] }),
		});
		assert.equal(made.status, 201);
		const settings = {
			enabled: true,
			provider: {
				id: 'openai-compatible',
				baseUrl: 'https://llm.acme.example/v1',
				headers: { 'X-Tenant': 'acme', 'X-Gateway-Key': 'gw-secret-1' },
				readableHeaders: ['X-Tenant'],
			},
			overlays: [{ group: 'Lab', headers: { 'X-Lab-Key': 'lab-secret-1' } }],
		};
		const saved = await fetch(`${service.url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: bearer(token, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify(settings),
		});
		assert.equal(saved.status, 200, await saved.clone().text());

		const got = await cli('policy', 'get');
		assert.equal(got.code, 0, got.stderr);
		assert.doesNotMatch(got.stdout + got.stderr, /secret-1/);
		const file = JSON.parse(got.stdout);
		assert.deepEqual(file.provider.headers, { 'X-Gateway-Key': '', 'X-Tenant': 'acme' });
		assert.deepEqual(file.overlays[0].headers, { 'X-Lab-Key': '' });
		assert.match(got.stderr, /left empty: X-Gateway-Key, X-Lab-Key \(group Lab\);/);
		writeFileSync(
			join(dir, 'overlay.json'),
			JSON.stringify({ ...file, provider: { ...file.provider, headers: { ...file.provider.headers, 'X-Tenant': 'acme-2' } } }),
		);
		const set = await cli('policy', 'set', join(dir, 'overlay.json'), '--force');
		assert.equal(set.code, 0, set.stderr);
		const stored = await service.policies.current('acme');
		assert.deepEqual(stored?.signed.policy.provider?.headers, { 'X-Gateway-Key': 'gw-secret-1', 'X-Tenant': 'acme-2' });
		assert.deepEqual(stored?.signed.policy.overlays?.[0]?.headers, { 'X-Lab-Key': 'lab-secret-1' });
		await fetch(`${service.url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: bearer(token, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify(validSettings.azureDeployment),
		});
	});

	it("reads files as Windows writes them: PowerShell 5.1's UTF-16 from policy get > file, and UTF-8 with a byte order mark", async () => {
		const got = await cli('policy', 'get');
		const utf16 = join(dir, 'powershell.json');
		writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(got.stdout.replace(/\n/g, '\r\n'), 'utf16le')]));
		const set = await cli('policy', 'set', utf16, '--force');
		assert.equal(set.code, 0, set.stderr);
		const yaml = join(dir, 'notepad.yaml');
		writeFileSync(yaml, '\ufeffkind: org-provider-policy/v1\r\npolicy:\r\n  enabled: false\r\n');
		const valid = await cli('validate', '-f', yaml);
		assert.equal(valid.code, 0, valid.stderr);
	});

	it("warns in the pipeline's log a week before its token expires, and says where to make a new one once it is refused", async () => {
		const admin = await service.signIn(ADMIN.email);
		const made = async (expiresInDays: number) =>
			(await jsonOf(
				await fetch(`${service.url}/api/v1/admin/tokens`, {
					method: 'POST',
					headers: bearer(admin.access_token, { 'content-type': 'application/json' }),
					body: JSON.stringify({ label: `${expiresInDays} days`, expiresInDays }),
				}),
			)) as { token: string; id: string };
		const ending = await made(3);
		const warned = await cliWith({ ORG_POLICY_TOKEN: ending.token }, 'policy', 'history');
		assert.equal(warned.code, 0, warned.stderr);
		assert.match(
			warned.stderr,
			/^warning: this admin API token expires in 3 days \(\d{4}-.*\): make its successor on the console's API tokens page$/m,
		);
		assert.equal(warned.stderr.match(/warning:/g)?.length, 1, 'once per run');
		assert.doesNotMatch((await cliWith({ ORG_POLICY_TOKEN: (await made(30)).token }, 'policy', 'history')).stderr, /warning/);

		const revoked = await fetch(`${service.url}/api/v1/admin/tokens/${ending.id}`, {
			method: 'DELETE',
			headers: bearer(admin.access_token),
		});
		assert.equal(revoked.status, 204);
		const refusedGet = await cliWith({ ORG_POLICY_TOKEN: ending.token }, 'policy', 'get');
		assert.equal(refusedGet.code, 1);
		assert.equal(
			refusedGet.stderr.trim(),
			`org-policy: 401: ${service.url} refused the admin API token (--token or ORG_POLICY_TOKEN): it expired, was revoked, or is not one of this service's. An admin makes a new one on the console's API tokens page (${service.url}/console/tokens).`,
		);
		assert.ok(!refusedGet.stderr.includes(ending.token), 'the token itself is never printed');
	});

	it('names a mistyped command, number or file before asking the service anything', async () => {
		const before = (await cli('policy', 'history')).stdout;
		const unknown = await cli('aply', '-f', 'policy.yaml');
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /^org-policy: unknown command "aply"/);
		assert.match(unknown.stdout, /^usage: org-policy/);
		const revision = await cli('apply', '-f', 'policy.yaml', '--revision', 'latest');
		assert.equal(revision.code, 1);
		assert.equal(revision.stderr.trim(), 'org-policy: --revision must be a whole number of at least 1, not "latest"');
		const limit = await cli('policy', 'history', '--limit', '0');
		assert.equal(limit.stderr.trim(), 'org-policy: --limit must be a whole number of at least 1, not "0"');
		const server = await cliWith({ ORG_POLICY_SERVER: 'policy.acme.example' }, 'policy', 'get');
		assert.equal(
			server.stderr.trim(),
			'org-policy: --server (or ORG_POLICY_SERVER) must be the service\'s http(s) address, e.g. https://policy.acme.example, not "policy.acme.example"',
		);
		const missing = await cli('plan', '-f', join(dir, 'no-such.yaml'));
		assert.equal(missing.code, 1);
		assert.equal(missing.stderr.trim(), `org-policy: cannot read ${join(dir, 'no-such.yaml')}: no such file (ENOENT)`);
		// A file's own mistakes are named without the service: here, one no server answers at.
		writeFileSync(join(dir, 'mistaken.yaml'), 'kind: org-provider-policy/v1\npolicy:\n  enabled: yes\n');
		const offline = await cliWith({ ORG_POLICY_SERVER: 'http://127.0.0.1:9' }, 'plan', '-f', join(dir, 'mistaken.yaml'));
		assert.equal(offline.code, 3, offline.stderr);
		assert.match(offline.stderr, /is refused:\n {2}policy\.enabled: must be true or false, not the text "yes"/);
		const folder = await cli('import-cline', dir);
		assert.equal(folder.stderr.trim(), `org-policy: cannot read ${dir}: it is a directory (EISDIR)`);
		assert.equal((await cli('policy', 'history')).stdout, before, 'nothing was saved');
	});

	it('plans and applies a YAML file of the whole policy, secrets by reference, with exit codes for CI; export round-trips (#30)', async () => {
		const file = join(dir, 'policy.yaml');
		const secretFile = join(dir, 'gateway-key');
		writeFileSync(secretFile, 'gw-secret-from-a-file\n');
		writeFileSync(
			file,
			[
				'kind: org-provider-policy/v1',
				'policy:',
				'  enabled: true',
				'  adminContact: ai-platform@acme.example',
				'  provider:',
				'    id: openai-compatible',
				'    baseUrl: https://gateway.acme.example/v1',
				'    headers:',
				'      X-Tenant: acme',
				'      X-Gateway-Key: { fromEnv: GATEWAY_KEY }',
				// Relative: read beside the policy file, though the CLI runs from the repository's root.
				'      X-Other-Key: { fromFile: gateway-key }',
				'    readableHeaders: [X-Tenant]',
				'    models:',
				'      allowed: [gpt-4o, o3]',
				'      settings:',
				'        o3: { reasoning: true, displayName: o3 (Acme) }',
				'',
			].join('\n'),
		);
		const missing = await cli('plan', '-f', file);
		assert.equal(missing.code, 3, 'refused: the variable is not set');
		assert.match(missing.stderr, /policy\.provider\.headers\.X-Gateway-Key: the environment variable GATEWAY_KEY is not set/);

		const env = { GATEWAY_KEY: 'gw-secret-from-env' };
		const before = await cli('policy', 'get');
		const revisionBefore = Number(/revision (\d+)/.exec(before.stderr)?.[1]);
		const plan = await cliWith(env, 'plan', '-f', file);
		assert.equal(plan.code, 2, plan.stderr);
		assert.match(plan.stdout, /Base URL: .*https:\/\/gateway\.acme\.example\/v1/);
		assert.match(plan.stdout, /Headers shown in the console: X-Tenant/);
		assert.match(plan.stdout, /Allowed models: gpt-4o, gpt-4o-mini → gpt-4o, o3/);
		assert.match(plan.stdout, /Header X-Gateway-Key: ••••••/);
		assert.match(plan.stdout, /Settings of o3: display name o3 \(Acme\), reasoning model on/);
		assert.doesNotMatch(plan.stdout + plan.stderr, /gw-secret/, 'secret values are masked');
		const unchanged = await cli('policy', 'get');
		assert.equal(Number(/revision (\d+)/.exec(unchanged.stderr)?.[1]), revisionBefore, 'plan saves nothing');

		// Someone saves in the console after the plan was reviewed: the apply of that plan saves nothing.
		writeFileSync(join(dir, 'console.json'), JSON.stringify(validSettings.plainCompatible));
		const consoleSave = await cli('policy', 'set', join(dir, 'console.json'), '--force');
		assert.equal(consoleSave.code, 0, consoleSave.stderr);
		const stale = await cliWith(env, 'apply', '-f', file, '--revision', String(revisionBefore));
		assert.equal(stale.code, 1);
		assert.match(
			stale.stderr,
			new RegExp(
				`the plan was made against revision ${revisionBefore}, but another revision was saved since \\(the service answered 412 .*\\): nothing was saved; run plan again`,
			),
		);
		const applied = await cliWith(env, 'apply', '-f', file, '--revision', String(revisionBefore + 1));
		assert.equal(applied.code, 2, applied.stderr);
		assert.match(applied.stdout, /saved revision \d+/);
		const afterApply = Number(/revision (\d+)/.exec((await cli('policy', 'get')).stderr)?.[1]);
		assert.equal((await cliWith(env, 'apply', '-f', file)).code, 0, 'a second apply changes nothing');
		assert.equal(Number(/revision (\d+)/.exec((await cli('policy', 'get')).stderr)?.[1]), afterApply, 'and makes no revision');
		const served = await jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(token, { 'org-policy-schema': '3' }) }));
		assert.equal(served.policy.provider.headers['X-Other-Key'], 'gw-secret-from-a-file');

		const exported = await cli('export');
		assert.equal(exported.code, 0);
		assert.doesNotMatch(exported.stdout, /gw-secret/, 'the export holds no secret');
		assert.match(exported.stderr, /set ORG_POLICY_HEADER_X_GATEWAY_KEY/);
		const copy = join(dir, 'exported.yaml');
		writeFileSync(copy, exported.stdout);
		const roundTrip = await cliWith(
			{ ORG_POLICY_HEADER_X_GATEWAY_KEY: 'gw-secret-from-env', ORG_POLICY_HEADER_X_OTHER_KEY: 'gw-secret-from-a-file' },
			'plan',
			'-f',
			copy,
		);
		assert.equal(roundTrip.code, 0, roundTrip.stdout + roundTrip.stderr);
		assert.match(roundTrip.stdout, /No change/);

		writeFileSync(
			join(dir, 'bad.yaml'),
			'kind: org-provider-policy/v1\npolicy:\n  enabled: true\n  provider: { id: openai-compatible, baseUrl: http://example.com/v1 }\n',
		);
		const bad = await cli('apply', '-f', join(dir, 'bad.yaml'));
		assert.equal(bad.code, 3);
		assert.match(bad.stderr, /policy\.provider\.baseUrl: /);
	});

	it("validates a file with neither the service nor a token (a pull request's check without secrets): every mistake named, unread secrets said to be unchecked", async () => {
		const file = join(dir, 'validate.yaml');
		const policy = (summary: string) =>
			[
				'kind: org-provider-policy/v1',
				'policy:',
				'  enabled: true',
				'  provider:',
				'    id: openai-compatible',
				'    baseUrl: https://llm.acme.example/v1',
				'    headers:',
				'      X-Tenant: { fromEnv: ACME_TENANT_FOR_VALIDATE }',
				`      X-Gateway-Key: { fromFile: ${join(dir, 'no-such-secret')} }`,
				'    models:',
				'      allowed: [gpt-5, gpt-4o]',
				'      settings:',
				`        gpt-5: { api: responses, reasoning: true, reasoningSummary: ${summary} }`,
				'groups:',
				'  Research: [dev@acme.example]',
			].join('\n');
		// Nowhere to send anything: an address nothing listens on, and no token.
		const offline = { ORG_POLICY_SERVER: 'http://127.0.0.1:9', ORG_POLICY_TOKEN: '' };
		writeFileSync(file, policy('auto'));
		const valid = await cliWith(offline, 'validate', '-f', file);
		assert.equal(valid.code, 0, valid.stderr);
		assert.equal(valid.stdout.trim(), `${file} is a valid policy file, with 1 group whose members plan checks with the service.`);
		assert.deepEqual(valid.stderr.trim().split('\n'), [
			'policy.provider.headers.X-Tenant: the environment variable ACME_TENANT_FOR_VALIDATE cannot be read here, so its value was not checked',
			`policy.provider.headers.X-Gateway-Key: the file ${join(dir, 'no-such-secret')} cannot be read here, so its value was not checked`,
		]);
		// A secret that can be read is checked like any value.
		const badValue = await cliWith({ ...offline, ACME_TENANT_FOR_VALIDATE: 'two\nlines' }, 'validate', '-f', file);
		assert.equal(badValue.code, 3, badValue.stdout + badValue.stderr);
		assert.match(badValue.stderr, /policy\.provider\.headers\.X-Tenant: /);
		writeFileSync(file, `${policy('verbose')}\n  Pilots: [not-an-address]\n`);
		const refused = await cliWith(offline, 'validate', '-f', file);
		assert.equal(refused.code, 3);
		assert.match(refused.stderr, /policy\.provider\.models\.settings\.gpt-5\.reasoningSummary: must be auto, concise or detailed/);
		assert.match(refused.stderr, /groups\.Pilots\[0\]: must be an e-mail address/);
		assert.equal((await cliWith(offline, 'validate')).stderr.trim(), 'org-policy: validate needs -f FILE');
	});

	it("imports a Cline remote configuration's OpenAI Compatible settings, naming what it could not carry over (#30 item 4)", async () => {
		const fixture = join(root, 'test/fixtures/cline/remote-config.json');
		const imported = await cli('import-cline', fixture);
		assert.equal(imported.code, 0, imported.stderr);
		assert.doesNotMatch(imported.stdout, /apim-key-from-the-cline-file/, 'no header value in the file');
		for (const expected of [
			/not carried over: providerSettings\.AwsBedrock — only the OpenAI Compatible provider can be enforced/,
			/not carried over: providerSettings\.OpenAiCompatible\.models\[0\]\.inputPrice — prices are not part of this policy/,
			/not carried over: providerSettings\.OpenAiCompatible\.models\[1\]\.isR1FormatRequired/,
			/not carried over: telemetryEnabled/,
			/not carried over: openTelemetryOtlpEndpoint — Cline's own OpenTelemetry export/,
			/set ORG_POLICY_HEADER_OCP_APIM_SUBSCRIPTION_KEY to the value of that header/,
		]) {
			assert.match(imported.stderr, expected);
		}
		const file = join(dir, 'from-cline.yaml');
		writeFileSync(file, imported.stdout);
		const env = { ORG_POLICY_HEADER_X_TENANT: 'acme', ORG_POLICY_HEADER_OCP_APIM_SUBSCRIPTION_KEY: 'apim-key-from-the-cline-file' };
		const plan = await cliWith(env, 'plan', '-f', file);
		assert.equal(plan.code, 2, plan.stdout + plan.stderr);
		assert.match(plan.stdout, /Base URL: .*https:\/\/acme-ai\.openai\.azure\.com\/openai\/deployments\/gpt-4o/);
		assert.match(plan.stdout, /Azure API Version: .*2024-10-21/);
		assert.match(plan.stdout, /Settings of gpt-4o: context window 128000, images on, max output 16384, temperature 0.2/);
		assert.equal((await cliWith(env, 'apply', '-f', file)).code, 2, 'the imported file is a valid policy');
	});

	it("keeps the console's groups in the file: made, filled and emptied, removed; a directory's group or a stranger refused before anything is saved", async () => {
		await service.addUser('ann@acme.example', 'member');
		await service.addUser('bob@acme.example', 'member');
		const now = Date.now();
		await service.store.groups.createGroup(
			{ id: 'dir-1', orgId: 'acme', displayName: 'Directory Team', externalId: null, source: 'scim', createdAt: now, updatedAt: now },
			[],
		);
		const exported = await cli('export');
		const base = exported.stdout.split('\ngroups:')[0]!;
		const file = join(dir, 'groups.yaml');
		const env = { ORG_POLICY_HEADER_X_TENANT: 'acme', ORG_POLICY_HEADER_OCP_APIM_SUBSCRIPTION_KEY: 'apim-key-from-the-cline-file' };
		writeFileSync(file, `${base}\ngroups:\n  Research: [ann@acme.example, bob@acme.example]\n  Ops: []\n`);
		const plan = await cliWith(env, 'plan', '-f', file);
		assert.equal(plan.code, 2, plan.stdout + plan.stderr);
		assert.match(plan.stdout, /Group Research: new — ann@acme\.example, bob@acme\.example/);
		assert.match(plan.stdout, /Group Ops: new/);
		assert.equal((await cliWith(env, 'apply', '-f', file)).code, 2);
		writeFileSync(file, `${base}\ngroups:\n  research: [bob@acme.example]\n`);
		const second = await cliWith(env, 'apply', '-f', file);
		assert.equal(second.code, 2, second.stdout + second.stderr);
		assert.match(second.stdout, /Group Research: removes ann@acme\.example/);
		assert.match(second.stdout, /Group Ops: removed/);
		const listed = (await jsonOf(await fetch(`${service.url}/api/v1/admin/groups`, { headers: bearer(token) }))).groups as {
			displayName: string;
			members: string[];
		}[];
		assert.deepEqual(
			listed.map((group) => [group.displayName, group.members]),
			[
				['Directory Team', []],
				['Research', ['bob@acme.example']],
			],
		);
		const exportedAgain = await cli('export');
		assert.match(
			exportedAgain.stdout,
			/groups:\n {2}Research:\n {4}- bob@acme\.example/,
			'export writes the console groups, not the directory one',
		);

		writeFileSync(file, `${base}\ngroups:\n  Research: [bob@acme.example, nobody@acme.example]\n  Directory Team: []\n`);
		const refused = await cliWith(env, 'apply', '-f', file);
		assert.equal(refused.code, 3);
		assert.match(refused.stderr, /groups\.Research\[1\]: nobody@acme\.example is not a member of this organization/);
		assert.match(refused.stderr, /groups\.Directory Team: is managed by your directory \(SCIM\); leave it out of the file/);
	});

	it("reads the organization's saved policy, not the admin's own document: its group overlays, and the newest revision while one rolls out", async () => {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		await service.addUser('ana@acme.example', 'member');
		const made = await fetch(`${service.url}/api/v1/admin/groups`, {
			method: 'POST',
			headers: bearer(admin, { 'content-type': 'application/json' }),
			body: JSON.stringify({ displayName: 'Analysts', members: ['ana@acme.example'] }),
		});
		assert.equal(made.status, 201);
		const provider = { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', headers: {}, apiKeyRequired: true };
		const settings = {
			enabled: true,
			provider: { ...provider, models: { allowed: ['gpt-4o', 'o3'] } },
			overlays: [{ group: 'Analysts', models: { allowed: ['o3'] } }],
		};
		const saved = await fetch(`${service.url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: bearer(token, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify(settings),
		});
		assert.equal(saved.status, 200, await saved.clone().text());

		const exported = await cli('export');
		assert.equal(exported.code, 0, exported.stderr);
		assert.match(exported.stdout, /overlays:\n {4}- group: Analysts\n {6}models:\n {8}allowed:\n {10}- o3/, exported.stdout);
		const file = join(dir, 'overlays.yaml');
		writeFileSync(file, exported.stdout);
		const unchanged = await cli('plan', '-f', file);
		assert.deepEqual([unchanged.code, unchanged.stdout.split(':')[0]], [0, 'No change'], unchanged.stdout + unchanged.stderr);

		// A canary the admin is not in: what they read as a member is the revision before; what the CLI reads is the newest.
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Analysts`, {
			method: 'PUT',
			headers: bearer(token, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify({ ...settings, provider: { ...settings.provider, baseUrl: 'https://next.acme.example/v1' } }),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		const got = await cli('policy', 'get');
		assert.equal(JSON.parse(got.stdout).provider.baseUrl, 'https://next.acme.example/v1');
		const planned = await cli('plan', '-f', file);
		assert.equal(planned.code, 2);
		assert.match(planned.stdout, /Base URL: https:\/\/next\.acme\.example\/v1 → https:\/\/llm\.acme\.example\/v1/, planned.stdout);
		assert.match(
			planned.stderr,
			/note: revision \d+ is still rolling out to its canary \(the group Analysts\): apply is refused until it is promoted or rolled back/,
			'a pipeline that plans on a pull request hears of the rollout before apply is refused',
		);
		const refused = await cli('apply', '-f', file);
		assert.equal(refused.code, 1);
		assert.match(refused.stderr, /409 revision \d+ is still rolling out to its canary/);
		const own = await jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: bearer(admin, { 'org-policy-schema': '3' }) }));
		assert.equal(own.policy.provider.baseUrl, 'https://llm.acme.example/v1', "the admin's own VS Code stays outside the canary");
		assert.equal((await fetch(`${service.url}/api/v1/admin/rollout/promote`, { method: 'POST', headers: bearer(token) })).status, 200);

		// A file that leaves out a group its own overlays name is refused before anything is saved.
		const withGroups = (await cli('export')).stdout;
		assert.match(withGroups, /\n {2}Analysts:\n/);
		writeFileSync(file, `${withGroups.split('\ngroups:')[0]}\ngroups: {}\n`);
		const before = (await service.policies.current('acme'))?.revision;
		const orphaned = await cli('apply', '-f', file);
		assert.equal(orphaned.code, 3, orphaned.stdout + orphaned.stderr);
		assert.match(orphaned.stderr, /groups: Analysts is left out, but policy\.overlays name it: keep the group, or drop its overlay too/);
		assert.equal((await service.policies.current('acme'))?.revision, before, 'nothing saved');
	});

	it('after a restored backup, plan and apply save an unchanged file again, numbered past what members hold', async () => {
		const exported = await cli('export');
		assert.equal(exported.code, 0, exported.stderr);
		const file = join(dir, 'restored.yaml');
		writeFileSync(file, exported.stdout);
		const newest = (await service.policies.current('acme'))!.revision;
		const member = await service.addUser('held@acme.example', 'member');
		// What the service notes when a member's VS Code names a revision it no longer has (test/server/backup-restore.test.ts).
		await service.store.noteRevisionHeld('acme', member.id, newest + 3, Date.now());
		const plan = await cli('plan', '-f', file);
		assert.equal(plan.code, 2, plan.stdout + plan.stderr);
		assert.match(
			plan.stdout,
			new RegExp(
				`saved again as revision ${newest + 4}: members hold revision ${newest + 3}, newer than ${newest} \\(the service's database was restored from a backup\\)`,
			),
		);
		const apply = await cli('apply', '-f', file);
		assert.equal(apply.code, 2, apply.stdout + apply.stderr);
		assert.match(apply.stdout, new RegExp(`saved revision ${newest + 4}`));
		const again = await cli('plan', '-f', file);
		assert.deepEqual([again.code, again.stdout.split(':')[0]], [0, 'No change'], again.stdout + again.stderr);
	});
});
