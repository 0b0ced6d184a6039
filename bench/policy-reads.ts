/**
 * Policy reads: authenticated GET /api/v1/policy with If-None-Match (304) and without (200),
 * saturated by autocannon. Baseline, same run: a bare fastify route answering a constant.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceSignIn, ms, report, root, smoke, startServiceProcess } from './support/common';

const ADMIN = { email: 'admin@acme.example', password: 'benchmark admin password' };
const DURATION = smoke ? 1 : 10;
const CONNECTIONS = 50;

async function load(url: string, headers: Record<string, string>): Promise<{ rps: number; p50: number; p99: number; non2xx: number }> {
	const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers, pipelining: 1 });
	return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function bareFastify(): Promise<{ url: string; stop: () => void }> {
	const script = `const app = require('fastify')(); const body = JSON.stringify({ constant: 'x'.repeat(900) }); app.get('/', async (_req, reply) => reply.type('application/json').send(body)); app.listen({ host: '127.0.0.1', port: 0 }).then((address) => console.log(address));`;
	const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
	const url = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk) => resolve(String(chunk).trim())));
	return { url, stop: () => child.kill() };
}

async function main(): Promise<void> {
	const bare = await bareFastify();
	const baseline = await load(bare.url, {});
	bare.stop();

	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-reads-'));
	const { child, url } = await startServiceProcess(dataDir, 0, ADMIN);
	try {
		const { access_token } = await deviceSignIn(url, ADMIN.email, ADMIN.password);
		const auth = { authorization: `Bearer ${access_token}` };
		const full = await load(`${url}/api/v1/policy`, auth);
		const cached = await load(`${url}/api/v1/policy`, { ...auth, 'if-none-match': '"1"' });
		if (full.non2xx > 0) {
			throw new Error(`${full.non2xx} reads without If-None-Match failed`);
		}
		const row = (name: string, run: typeof baseline) =>
			`| ${name} | ${Math.round(run.rps)} | ${(run.rps / baseline.rps).toFixed(2)}× | ${ms(run.p50)} | ${ms(run.p99)} |`;
		report({
			name: 'policy-reads',
			markdown: [
				`autocannon, ${CONNECTIONS} connections, ${DURATION} s each; the service runs as its own process with SQLite (reads come from its in-memory copy of the newest revision, authenticated against the token table).`,
				'',
				'| route | requests/s | vs baseline | p50 | p99 |',
				'| --- | ---: | ---: | ---: | ---: |',
				row('bare fastify constant (baseline)', baseline),
				row('GET /api/v1/policy → 200', full),
				row('GET /api/v1/policy, If-None-Match → 304', cached),
			].join('\n'),
			targets: [
				{
					description: 'GET /api/v1/policy (200) ≥ 0.5× the baseline requests/s',
					met: full.rps >= 0.5 * baseline.rps,
					measured: `${(full.rps / baseline.rps).toFixed(2)}×`,
				},
				{
					description: 'GET /api/v1/policy with If-None-Match (304) ≥ 0.5× the baseline requests/s',
					met: cached.rps >= 0.5 * baseline.rps,
					measured: `${(cached.rps / baseline.rps).toFixed(2)}×`,
				},
			],
		});
	} finally {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
