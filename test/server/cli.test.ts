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

	const cli = async (...args: string[]) => {
		try {
			const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'src/server/cli.ts'), ...args], {
				cwd: root,
				env: { ...process.env, ORG_POLICY_SERVER: service.url, ORG_POLICY_TOKEN: token },
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

		writeFileSync(file, JSON.stringify({ enabled: true, provider: { id: 'openai-compatible', baseUrl: 'http://example.com' } }));
		const invalid = await cli('policy', 'set', file, '--force');
		assert.equal(invalid.code, 1);
		assert.match(invalid.stderr, /provider\.baseUrl: must use https:/);

		const history = await cli('policy', 'history');
		assert.equal(history.code, 0);
		assert.match(history.stdout, /^2\t.*\tadmin@acme\.example/m);
		assert.match(history.stdout, /provider\.headers\.X-Tenant: — → ••••••/);
		assert.ok(!history.stdout.includes('"acme"'), 'header values stay masked');
	});
});
