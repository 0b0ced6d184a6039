import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/server/config';
import { bearer, deviceSignIn, EventReader, submitPageForm } from '../support/service';

const root = join(__dirname, '..', '..');

function startProcess(args: string[], env: Record<string, string> = {}): ChildProcess {
	return spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server/main.ts'), ...args], {
		cwd: root,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
}

function output(child: ChildProcess): { text: () => string; waitFor: (pattern: RegExp) => Promise<RegExpMatchArray> } {
	let text = '';
	const waiters: (() => void)[] = [];
	const collect = (chunk: Buffer) => {
		text += chunk.toString();
		waiters.splice(0).forEach((wake) => wake());
	};
	child.stdout!.on('data', collect);
	child.stderr!.on('data', collect);
	return {
		text: () => text,
		waitFor: async (pattern) => {
			for (;;) {
				const match = text.match(pattern);
				if (match) {
					return match;
				}
				await new Promise<void>((resolve) => waiters.push(resolve));
			}
		},
	};
}

const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('service process', function () {
	this.timeout(30_000);

	it('reads flags over ORG_POLICY_* variables over defaults', () => {
		const config = parseConfig(['--port', '9000', '--data-dir', './scratch'], { ORG_POLICY_PORT: '1234', ORG_POLICY_ORG_NAME: 'Acme Corp' });
		assert.equal(config.port, 9000);
		assert.equal(config.dataDir, './scratch');
		assert.equal(config.orgName, 'Acme Corp');
		assert.equal(config.host, '127.0.0.1');
		assert.equal(config.publicUrl, 'http://127.0.0.1:9000');
		assert.equal(parseConfig([], {}).port, 8787);
	});

	for (const [args, env, pattern] of [
		[['--port', 'eighty'], {}, /--port \(ORG_POLICY_PORT\): must be a number/],
		[[], { ORG_POLICY_PORT: '70000' }, /--port \(ORG_POLICY_PORT\): must be at most 65535/],
		[['--public-url', 'not a url'], {}, /--public-url \(ORG_POLICY_PUBLIC_URL\): must be an absolute http\(s\) URL/],
		[['--colour', 'blue'], {}, /Unknown option '--colour'/],
		[['--admin-password', 'short'], {}, /--admin-password \(ORG_POLICY_ADMIN_PASSWORD\): must be at least 12 characters/],
	] as [string[], Record<string, string>, RegExp][]) {
		it(`exits 2 with a clear message for ${[...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')}`, async () => {
			const child = startProcess(args, env);
			const out = output(child);
			assert.equal(await exitOf(child), 2);
			assert.match(out.text(), pattern);
		});
	}

	it('starts, prints a one-time admin link, and on SIGTERM ends event streams and exits cleanly', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-process-'));
		const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--org-name', 'Acme Corp', '--log-level', 'warn']);
		try {
			const out = output(child);
			const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
			const [, link] = await out.waitFor(/one-time link:\s+(\S+)/);
			assert.ok(link!.startsWith(`${url}/invite/`));
			assert.equal((await submitPageForm(link!, { password: 'the first admin password' })).status, 303);

			const tokens = await deviceSignIn(url!, 'admin@localhost', 'the first admin password');
			const stream = new EventReader(await fetch(`${url}/api/v1/policy/events`, { headers: bearer(tokens.access_token) }));
			assert.equal((await stream.next())?.id, '1');

			child.kill('SIGTERM');
			assert.equal(await stream.next(), undefined, 'the event stream ends on shutdown');
			assert.equal(await exitOf(child), 0);
		} finally {
			child.kill('SIGKILL');
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
