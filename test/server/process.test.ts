import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FLAGS, parseConfig, ServerConfigFields } from '../../src/server/config';
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
		const config = parseConfig(['--port', '9000', '--data-dir', './scratch'], {
			ORG_POLICY_PORT: '1234',
			ORG_POLICY_ORG_NAME: 'Acme Corp',
		});
		assert.equal(config.port, 9000);
		assert.equal(config.dataDir, './scratch');
		assert.equal(config.orgName, 'Acme Corp');
		assert.equal(config.host, '127.0.0.1');
		assert.equal(config.publicUrl, 'http://127.0.0.1:9000');
		assert.equal(parseConfig([], {}).port, 8787);
		assert.equal(
			parseConfig(['--admin-email', 'admin@localhost'], {}).adminEmail,
			'admin@localhost',
			"the project's own default is an email address",
		);
	});

	for (const [args, env, pattern] of [
		[['--port', 'eighty'], {}, /--port \(ORG_POLICY_PORT\): must be a number/],
		[[], { ORG_POLICY_PORT: '70000' }, /--port \(ORG_POLICY_PORT\): must be at most 65535/],
		[['--public-url', 'not a url'], {}, /--public-url \(ORG_POLICY_PUBLIC_URL\): must be an absolute http\(s\) URL/],
		[
			['--public-url', 'https://tools.acme.example/policy'],
			{},
			/--public-url \(ORG_POLICY_PUBLIC_URL\): must be the address alone, with no path, query or fragment \(https:\/\/policy\.acme\.example\)/,
		],
		[['--colour', 'blue'], {}, /Unknown option '--colour'\n\(org-policy-server --help lists every flag\)/],
		[['--admin-password', 'short'], {}, /--admin-password \(ORG_POLICY_ADMIN_PASSWORD\): must be at least 12 characters/],
		[['--admin-email', 'not-an-address'], {}, /--admin-email \(ORG_POLICY_ADMIN_EMAIL\): must be an email address/],
		[
			['admin', 'reset-link', '--port', 'eighty'],
			{},
			/admin reset-link: invalid configuration:\n\s+--port \(ORG_POLICY_PORT\): must be a number/,
		],
		[['admin', 'rotate-everything'], {}, /usage: org-policy-server admin reset-link/],
	] as [string[], Record<string, string>, RegExp][]) {
		it(`exits 2 with a clear message for ${[...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')}`, async () => {
			const child = startProcess(args, env);
			const out = output(child);
			assert.equal(await exitOf(child), 2);
			assert.match(out.text(), pattern);
		});
	}

	for (const flag of ['--help', '-h']) {
		it(`${flag} lists every flag with its variable, default and meaning, and starts nothing`, async () => {
			const child = startProcess([flag]);
			const out = output(child);
			assert.equal(await exitOf(child), 0);
			const text = out.text();
			assert.match(text, /^usage: org-policy-server/);
			// Every field of the settings is a flag (FLAGS is made from the schema's fields).
			assert.equal(Object.keys(FLAGS).length, Object.keys(ServerConfigFields.shape).length);
			for (const [flag, variable] of Object.entries(FLAGS)) {
				// Each flag's line, then its meaning on the next one.
				assert.match(text, new RegExp(`\\n  --${flag} VALUE  \\(${variable}[^\\n]*\\)\\n      \\S`), flag);
			}
			assert.match(text, /--port VALUE {2}\(ORG_POLICY_PORT; default 8787\)\n {6}port to listen on/);
			assert.doesNotMatch(text, /"level":|Server listening/, 'no service started');
		});
	}

	it('--version says which release it is, as package.json does, and starts nothing; so does the CLI', async () => {
		const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
		const child = startProcess(['--version']);
		const out = output(child);
		assert.equal(await exitOf(child), 0);
		assert.equal(out.text(), `org-policy-server ${version}\n`);
		const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'src/server/cli.ts'), '--version']);
		assert.equal(cli.stdout, `org-policy ${version}\n`);
	});

	it('starts, prints a one-time admin link, and on SIGTERM ends event streams and exits cleanly, not held by idle or stuck clients', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-process-'));
		const child = startProcess([
			'--port',
			'0',
			'--data-dir',
			dataDir,
			'--org-id',
			'acme',
			'--org-name',
			'Acme Corp',
			'--log-level',
			'warn',
			'--shutdown-grace-seconds',
			'1',
		]);
		try {
			const out = output(child);
			const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
			const [, link] = await out.waitFor(/one-time link[^\n]*:\n\s+(\S+)/);
			const { port } = new URL(url!);
			assert.ok(link!.startsWith(`${url}/invite/`));
			assert.equal((await submitPageForm(link!, { password: 'the first admin password' })).status, 303);

			const tokens = await deviceSignIn(url!, 'admin@localhost', 'the first admin password');
			const stream = new EventReader(await fetch(`${url}/api/v1/policy/events`, { headers: bearer(tokens.access_token) }));
			assert.equal((await stream.next())?.id, '1');

			// A connection a browser opened ahead of need (nothing sent), and a client stuck halfway through
			// its headers: Node would hold the close for its 60 s headers timeout, past this test's timeout.
			const preconnected = connect(Number(port), '127.0.0.1');
			const stuck = connect(Number(port), '127.0.0.1', () => stuck.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
			await Promise.all([once(preconnected, 'connect'), once(stuck, 'connect')]);
			// Ended by the service: a reset, which is what they get.
			preconnected.on('error', () => undefined);
			stuck.on('error', () => undefined);
			const closed = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));
			const ended = Promise.all([closed(preconnected), closed(stuck)]);
			child.kill('SIGTERM');
			assert.equal(await stream.next(), undefined, 'the event stream ends on shutdown');
			assert.equal(await exitOf(child), 0);
			await ended;
		} finally {
			child.kill('SIGKILL');
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it('writes readable log lines with --log-format pretty (for a terminal), JSON lines by default', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-log-format-'));
		const lines = async (extra: string[]) => {
			const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'info', ...extra]);
			try {
				const out = output(child);
				const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
				await fetch(`${url}/readyz`);
				const [line] = await out.waitFor(/^.*request completed.*$/m);
				child.kill('SIGTERM');
				await exitOf(child);
				return line!;
			} finally {
				child.kill('SIGKILL');
			}
		};
		try {
			const json = await lines([]);
			assert.equal(JSON.parse(json).msg, 'request completed');
			const pretty = await lines(['--log-format', 'pretty']);
			assert.throws(() => JSON.parse(pretty), 'not JSON');
			assert.match(pretty, /^\[\d{2}:\d{2}:\d{2}(\.\d{3})?\] INFO: request completed → 200$/, 'one short line per request');
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	describe('one service per embedded database', () => {
		let dataDir: string;
		beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'opp-claim-'))));
		afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

		const start = (...extra: string[]) =>
			startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'warn', ...extra]);
		const listening = async (child: ChildProcess) => (await output(child).waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;

		it('refuses a second service on the data directory, naming the first, and takes over at once from one killed', async () => {
			const first = start();
			const firstUrl = await listening(first);
			try {
				const second = start();
				const said = output(second);
				assert.equal(await exitOf(second), 1);
				assert.match(
					said.text(),
					new RegExp(
						`another policy service \\(process ${first.pid} on \\S+, started \\d{4}-[^)]+\\) serves ${dataDir}: stop it first\\. To run several instances, give them one PostgreSQL database \\(--database-url\\)\\.`,
					),
				);
				assert.equal((await fetch(`${firstUrl}/readyz`)).status, 200, 'the first one goes on serving');
			} finally {
				const exited = exitOf(first);
				first.kill('SIGKILL');
				await exited;
			}
			// Killed, it could not give the claim back: its process is gone, so the next start takes it.
			assert.ok(existsSync(join(dataDir, 'service.lock')));
			const next = start();
			await listening(next);
			const exited = exitOf(next);
			next.kill('SIGTERM');
			assert.equal(await exited, 0);
			assert.equal(existsSync(join(dataDir, 'service.lock')), false, 'a service that stops gives its claim back');
		});
	});

	describe('a lost admin link', () => {
		let dataDir: string;
		beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'opp-recovery-'))));
		afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

		/** Starts the service on `dataDir`, returns what it printed once it is listening, and stops it. */
		async function startAndStop(extra: string[] = []): Promise<{ url: string; text: string }> {
			const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'warn', ...extra]);
			try {
				const out = output(child);
				const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
				await out.waitFor(/Admin console: .*\n/);
				// The link and warnings are printed right after the console line.
				await new Promise((resolve) => setTimeout(resolve, 200));
				return { url: url!, text: out.text() };
			} finally {
				child.kill('SIGTERM');
				await exitOf(child);
			}
		}

		async function runAdmin(args: string[]): Promise<{ code: number | null; text: string }> {
			const child = startProcess(['admin', ...args, '--data-dir', dataDir, '--org-id', 'acme']);
			const out = output(child);
			const code = await exitOf(child);
			return { code, text: out.text() };
		}

		const linkIn = (text: string) => text.match(/\n\s+(http:\/\/\S+\/invite\/\S+)/)?.[1];

		it('prints a fresh one-time link at every start until an admin has a password, then none', async () => {
			const first = await startAndStop();
			const second = await startAndStop();
			assert.match(second.text, /No admin has set a password yet\. admin@localhost sets one with this one-time link \(valid until \d{4}-/);
			assert.doesNotMatch(second.text, /First start/, 'the organization is not created twice');
			const firstLink = linkIn(first.text);
			const secondLink = linkIn(second.text);
			assert.ok(firstLink && secondLink && firstLink !== secondLink, 'the second start prints a new link');

			const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'warn']);
			try {
				const out = output(child);
				const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
				const [, link] = await out.waitFor(/one-time link.*:\n\s+(\S+)/);
				assert.equal((await submitPageForm(link!.replace(/^http:\/\/[^/]+/, url!), { password: 'the first admin password' })).status, 303);
			} finally {
				child.kill('SIGTERM');
				await exitOf(child);
			}

			const afterPassword = await startAndStop(['--admin-email', 'someone@example.com', '--admin-password', 'another long password']);
			assert.equal(linkIn(afterPassword.text), undefined, 'no link once an admin has a password');
			assert.match(
				afterPassword.text,
				/warning: --admin-email\/--admin-password .* are ignored: an admin of this organization already has a password/,
			);
			assert.match(afterPassword.text, /admin reset-link/, 'the warning names the recovery command');
		});

		it('warns at start of a public URL that is plain http to another machine, which members refuse', async () => {
			const remote = await startAndStop(['--public-url', 'http://10.1.2.3:8787']);
			assert.match(
				remote.text,
				/warning: the public URL http:\/\/10\.1\.2\.3:8787 is plain http on another machine: members' VS Code refuses it .*--public-url\./,
			);
			const local = await startAndStop();
			assert.doesNotMatch(local.text, /plain http/, 'loopback is for development, and fine');
		});

		it('creates the configured admin on a later start while none has a password', async () => {
			await startAndStop();
			const second = await startAndStop(['--admin-email', 'ops@example.com', '--admin-password', 'a long admin password']);
			assert.equal(linkIn(second.text), undefined);
			const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'warn']);
			try {
				const out = output(child);
				const [, url] = await out.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
				const tokens = await deviceSignIn(url!, 'ops@example.com', 'a long admin password');
				assert.ok(tokens.access_token, 'the admin from the flags signs in');
				assert.doesNotMatch(out.text(), /warning|one-time link/);
			} finally {
				child.kill('SIGTERM');
				await exitOf(child);
			}
		});

		it('`admin reset-link` makes a recovery admin from the database alone, and refuses what it cannot do', async () => {
			const missing = await runAdmin(['reset-link']);
			assert.equal(missing.code, 1);
			assert.match(missing.text, /--org-id \(ORG_POLICY_ORG_ID\): there is no organization "acme"/);

			await startAndStop(['--admin-email', 'first@example.com', '--admin-password', 'the lost admin password']);
			const reset = await runAdmin(['reset-link', '--admin-email', 'First@example.com']);
			assert.equal(reset.code, 0, reset.text);
			assert.match(
				reset.text,
				/One-time link for first@example\.com, an admin of acme, to set a new password \(valid until \d{4}-[^;]+; their sign-ins end when it is used\)/,
			);
			const resetLink = /(http:\/\/\S+\/reset\/\S+)/.exec(reset.text)?.[1];
			assert.ok(resetLink);

			const rescue = await runAdmin(['reset-link', '--admin-email', 'Rescue@Example.com']);
			assert.equal(rescue.code, 0, rescue.text);
			assert.match(rescue.text, /One-time link for rescue@example\.com to become an admin of acme \(valid until \d{4}-/);
			const link = linkIn(rescue.text);
			assert.ok(link);

			const child = startProcess(['--port', '0', '--data-dir', dataDir, '--org-id', 'acme', '--log-level', 'warn']);
			try {
				const [, url] = await output(child).waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
				assert.equal((await submitPageForm(link.replace(/^http:\/\/[^/]+/, url!), { password: 'the recovery password' })).status, 303);
				// The first admin sets a new password with the operator's link: the old one opens nothing.
				assert.equal(
					(await submitPageForm(resetLink.replace(/^http:\/\/[^/]+/, url!), { password: 'the found admin password' })).status,
					303,
				);
				await assert.rejects(deviceSignIn(url!, 'first@example.com', 'the lost admin password'));
				await deviceSignIn(url!, 'first@example.com', 'the found admin password');
				const tokens = await deviceSignIn(url!, 'rescue@example.com', 'the recovery password');
				const members = await fetch(`${url}/api/v1/admin/members`, { headers: bearer(tokens.access_token) });
				assert.equal(members.status, 200, 'the recovery admin can administer the organization');
			} finally {
				child.kill('SIGTERM');
				await exitOf(child);
			}
		});
	});
});
