import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realScheduler } from '../../src/extension/base/scheduler';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { whenChanged } from '../support/eventually';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { freshDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { ADMIN, deviceSignIn, putPolicy } from '../support/service';
import { freePort } from '../support/free-port';
import { startServiceInstance, waitForHttp } from '../support/service-process';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** nginx from Debian's packages on loopback, configured as the README tells operators. */
async function startNginx(dir: string, port: number, upstreams: number[]): Promise<ChildProcess> {
	mkdirSync(join(dir, 'logs'), { recursive: true });
	writeFileSync(
		join(dir, 'nginx.conf'),
		`user root root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
	upstream org_policy {
		${upstreams.map((upstream) => `server 127.0.0.1:${upstream} max_fails=1 fail_timeout=10s;`).join('\n\t\t')}
	}
	server {
		listen 127.0.0.1:${port};
		location / {
			proxy_pass http://org_policy;
			proxy_set_header Host $host:$server_port;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_next_upstream error timeout http_502 http_503;
		}
		location /api/v1/policy/events {
			proxy_pass http://org_policy;
			proxy_set_header Host $host:$server_port;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_buffering off;
			proxy_read_timeout 1h;
		}
	}
}
`,
	);
	const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'logs', 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let log = '';
	child.stderr?.on('data', (chunk) => (log += String(chunk)));
	await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, () => log);
	return child;
}

const subscribersOf = async (port: number) =>
	Number(/org_policy_sse_subscribers (\d+)/.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? 0);

(TEST_DATABASE_URL && existsSync(NGINX) ? describe : describe.skip)('failover: two instances behind nginx, one killed', function () {
	this.timeout(60_000);

	it("resyncs the killed instance's members through the other one", async () => {
		const database = await freshDatabase();
		const dir = mkdtempSync(join(tmpdir(), 'opp-failover-'));
		const [proxyPort, first, second] = [await freePort(), await freePort(), await freePort()];
		const proxy = `http://127.0.0.1:${proxyPort}`;
		const instances = new Map<number, ChildProcess>();
		let nginx: ChildProcess | undefined;
		const sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, realScheduler, { ackSpreadMs: 0 });
		const stateOf = (predicate: (state: SyncState) => boolean, what: string) =>
			whenChanged(() => sync.current, sync.onDidChangeState, predicate, what, 20_000);
		try {
			instances.set(first, await startServiceInstance({ databaseUrl: database.url }, first, proxy, ['--trust-proxy', 'true']));
			instances.set(second, await startServiceInstance({ databaseUrl: database.url }, second, proxy, ['--trust-proxy', 'true']));
			nginx = await startNginx(dir, proxyPort, [first, second]);

			const admin = await deviceSignIn(proxy, ADMIN.email, ADMIN.password);
			sync.start({
				connection: { serverUrl: proxy, fetch: globalThis.fetch },
				trust: { signingKey: admin.policy_signing_key, organizationId: 'acme' },
				accessToken: async () => admin.access_token,
				refresh: async () => true,
			});
			await stateOf((state) => state.status === 'in-sync' && state.policy?.document.revision === 1, 'revision 1 through the proxy');
			let streaming: number | undefined;
			for (const deadline = Date.now() + 10_000; streaming === undefined && Date.now() < deadline;) {
				for (const port of [first, second]) {
					if ((await subscribersOf(port)) > 0) {
						streaming = port;
					}
				}
			}
			assert.ok(streaming, 'the member streams from one of the instances');

			// The instance holding the member's stream dies without a word.
			instances.get(streaming)!.kill('SIGKILL');
			await new Promise((resolve) => instances.get(streaming!)!.once('exit', resolve));
			instances.delete(streaming);

			const saved = await putPolicy(proxy, admin.access_token, validSettings.plainCompatible, '"1"');
			assert.equal(saved.status, 200, 'the admin saves through the proxy, on the surviving instance');
			await stateOf((state) => state.status === 'in-sync' && state.policy?.document.revision === 2, 'revision 2 after failing over');
			const survivor = [...instances.keys()][0]!;
			let following = 0;
			for (const deadline = Date.now() + 10_000; following === 0 && Date.now() < deadline;) {
				following = await subscribersOf(survivor);
			}
			assert.equal(following, 1, "the member follows the surviving instance's event stream");
		} finally {
			sync.dispose();
			nginx?.kill('SIGTERM');
			for (const child of instances.values()) {
				child.kill('SIGKILL');
			}
			await database.drop().catch(() => undefined);
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
