/**
 * Organization tokens: how many a single instance issues per second (RFC 8693 exchange at
 * POST /oauth/token: resolve the member's access token, read their groups, sign an RS256 JWT,
 * record its expiry), against reading the policy (GET /api/v1/policy → 200) on the same instance
 * in the same run — the request every member already makes.
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ADMIN, memberSessions, ms, report, runBench, smoke, startServiceProcess } from './support/common';

const DURATION = smoke ? 1 : 10;
const CONNECTIONS = 50;
const AUDIENCE = 'https://gateway.acme.example';

interface Load {
	rps: number;
	p50: number;
	p99: number;
	non2xx: number;
}

async function load(options: autocannon.Options): Promise<Load> {
	const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, pipelining: 1, ...options });
	return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

runBench(async () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'opp-bench-tokens-'));
	const { child, url } = await startServiceProcess(dataDir, 0, BENCH_ADMIN);
	try {
		const { adminToken, tokens } = await memberSessions(url, 1);
		const saved = await fetch(`${url}/api/v1/admin/policy`, {
			method: 'PUT',
			headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'if-match': '"1"' },
			body: JSON.stringify({
				enabled: true,
				provider: {
					id: 'openai-compatible',
					baseUrl: 'https://gateway.acme.example/v1',
					apiKeyRequired: false,
					organizationToken: { audience: AUDIENCE, lifetimeMinutes: 15 },
					models: { allowed: ['gpt-4o', 'gpt-4o-mini'] },
				},
			}),
		});
		if (saved.status !== 200) {
			throw new Error(`could not save the policy: ${saved.status} ${await saved.text()}`);
		}
		const member = tokens[0]!;
		const reads = await load({ url: `${url}/api/v1/policy`, headers: { authorization: `Bearer ${member}` } });
		const issued = await load({
			url: `${url}/oauth/token`,
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
				subject_token: member,
				subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
				client_id: 'vscode',
			}).toString(),
		});
		for (const [name, run] of [
			['policy reads', reads],
			['token issuance', issued],
		] as const) {
			if (run.non2xx > 0) {
				throw new Error(`${run.non2xx} ${name} failed`);
			}
		}
		const ratio = issued.rps / reads.rps;
		// A member renews a token about once per lifetime: at 15 minutes, tokens/s × 900 members keep up.
		const members = Math.floor(issued.rps * 15 * 60);
		const row = (name: string, run: Load) =>
			`| ${name} | ${Math.round(run.rps)} | ${(run.rps / reads.rps).toFixed(2)}× | ${ms(run.p50)} | ${ms(run.p99)} |`;
		report({
			name: 'token-issuance',
			markdown: [
				`autocannon, ${CONNECTIONS} connections, ${DURATION} s each, one service process on SQLite; one member's access token for both.`,
				'',
				'| request | requests/s | vs policy reads | p50 | p99 |',
				'| --- | ---: | ---: | ---: | ---: |',
				row('GET /api/v1/policy → 200 (baseline)', reads),
				row('POST /oauth/token, token exchange → organization token', issued),
				'',
				`At a 15-minute lifetime (one renewal per member per lifetime) one instance keeps about ${members.toLocaleString('en-US')} members supplied.`,
			].join('\n'),
			targets: [
				{
					description: 'token issuance keeps 10,000 members supplied at a 15-minute lifetime (≥ 11.2 tokens/s)',
					met: issued.rps * 15 * 60 >= 10_000,
					measured: `${Math.round(issued.rps)}/s (${ratio.toFixed(2)}× policy reads)`,
				},
			],
		});
	} finally {
		child.kill('SIGTERM');
		rmSync(dataDir, { recursive: true, force: true });
	}
});
