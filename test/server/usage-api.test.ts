import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hourOf, type UsageBucket } from '../../src/policy';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

const HOUR = 3_600_000;

function bucket(change: Partial<UsageBucket> = {}): UsageBucket {
	return {
		hour: hourOf(Date.now()),
		model: 'gpt-4o',
		api: 'chat-completions',
		caller: 'language-model',
		outcome: 'ok',
		revision: 1,
		requests: 3,
		inputTokens: 120,
		outputTokens: 30,
		cachedTokens: 0,
		reasoningTokens: 0,
		estimatedRequests: 0,
		firstTokenRequests: 3,
		firstTokenMs: 450,
		durationMs: 1200,
		...change,
	};
}

describe('usage reporting API', function () {
	this.timeout(20_000);
	let service: RunningService;
	let admin: string;
	let dev: string;
	let ops: string;

	const report = (token: string, body: unknown) =>
		fetch(`${service.url}/api/v1/usage`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': 'application/json' }),
			body: typeof body === 'string' ? body : JSON.stringify(body),
		});
	const adminUsage = async (query: string) => {
		const response = await fetch(`${service.url}/api/v1/admin/usage?${query}`, { headers: bearer(admin) });
		assert.equal(response.status, 200, await response.clone().text());
		return (await jsonOf(response)).groups as Record<string, string | number>[];
	};

	beforeEach(async () => {
		service = await startService({ settings: { usageReportsPerMinute: 5 } });
		await service.addUser('dev@acme.example', 'member');
		await service.addUser('ops@acme.example', 'member');
		admin = (await service.signIn(ADMIN.email)).access_token;
		dev = (await service.signIn('dev@acme.example')).access_token;
		ops = (await service.signIn('ops@acme.example')).access_token;
	});
	afterEach(async () => service.close());

	it('counts a report once however often it is sent, per member, and shows it to admins by member and model', async () => {
		const batchId = randomUUID();
		const body = {
			batchId,
			buckets: [bucket(), bucket({ outcome: 'rate-limited', requests: 1, firstTokenRequests: 0 })],
			droppedRequests: 0,
		};
		assert.deepEqual(await jsonOf(await report(dev, body)), { duplicate: false });
		assert.deepEqual(await jsonOf(await report(dev, body)), { duplicate: true }, 'a retry after a lost response');
		await report(ops, {
			batchId: randomUUID(),
			buckets: [bucket({ model: 'o3', requests: 2, firstTokenRequests: 2 })],
			droppedRequests: 0,
		});

		const groups = await adminUsage('groupBy=member,model');
		assert.deepEqual(
			groups.map((group) => [group.member, group.model, group.requests, group.inputTokens]),
			[
				['dev@acme.example', 'gpt-4o', 4, 240],
				['ops@acme.example', 'o3', 2, 120],
			],
		);
		const byOutcome = await adminUsage('groupBy=outcome&member=dev@acme.example');
		assert.deepEqual(Object.fromEntries(byOutcome.map((group) => [group.outcome, group.requests])), { ok: 3, 'rate-limited': 1 });

		const csv = await fetch(`${service.url}/api/v1/admin/usage.csv?groupBy=member,model`, { headers: bearer(admin) });
		assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
		const lines = (await csv.text()).trim().split('\r\n');
		assert.equal(
			lines[0],
			'model,member,requests,inputTokens,outputTokens,cachedTokens,reasoningTokens,estimatedRequests,firstTokenRequests,firstTokenMs,durationMs',
		);
		assert.ok(lines.includes('gpt-4o,dev@acme.example,4,240,60,0,0,0,3,900,2400'), lines.join('\n'));
	});

	it('shows a member what was reported about them, and nothing about anyone else', async () => {
		await report(dev, { batchId: randomUUID(), buckets: [bucket()], droppedRequests: 0 });
		await report(ops, { batchId: randomUUID(), buckets: [bucket({ model: 'o3' })], droppedRequests: 0 });
		const mine = await jsonOf(await fetch(`${service.url}/api/v1/usage/me`, { headers: bearer(dev) }));
		assert.deepEqual(
			mine.groups.map((group: Record<string, unknown>) => [group.model, group.outcome, group.requests, group.revision]),
			[['gpt-4o', 'ok', 3, 1]],
		);
		assert.equal(
			(await fetch(`${service.url}/api/v1/admin/usage`, { headers: bearer(dev) })).status,
			403,
			'members do not read the aggregates',
		);
	});

	it('refuses a report for another member, malformed and oversized reports with a 400 naming the field, and stores nothing of them', async () => {
		const refusals: [unknown, string][] = [
			[{ batchId: randomUUID(), buckets: [bucket()], droppedRequests: 0, member: 'ops@acme.example' }, 'member: is not a known field'],
			[
				{ batchId: randomUUID(), buckets: [{ ...bucket(), userId: 'someone' }], droppedRequests: 0 },
				'buckets[0].userId: is not a known field',
			],
			[{ batchId: 'not-a-uuid', buckets: [bucket()], droppedRequests: 0 }, 'batchId: must be a UUID'],
			[{ batchId: randomUUID(), buckets: [bucket(), bucket({ outcome: 'exploded' as 'ok' })], droppedRequests: 0 }, 'buckets[1].outcome'],
			[
				{ batchId: randomUUID(), buckets: [bucket({ hour: '2026-12-01T09:30:00.000Z' })], droppedRequests: 0 },
				'buckets[0].hour: must be the start of an hour',
			],
			[
				{ batchId: randomUUID(), buckets: [bucket({ estimatedRequests: 9 })], droppedRequests: 0 },
				'buckets[0].estimatedRequests: must not exceed requests',
			],
			[{ batchId: randomUUID(), buckets: [bucket({ inputTokens: -1 })], droppedRequests: 0 }, 'buckets[0].inputTokens: must be 0 or more'],
			[
				{ batchId: randomUUID(), buckets: [bucket(), bucket({ hour: hourOf(Date.now() + 5 * HOUR) })], droppedRequests: 0 },
				'buckets[1].hour: is in the future',
			],
			[
				{ batchId: randomUUID(), buckets: [bucket({ revision: 99 })], droppedRequests: 0 },
				'buckets[0].revision: does not exist (the newest revision is 1)',
			],
			[
				{ batchId: randomUUID(), buckets: Array.from({ length: 501 }, () => bucket()), droppedRequests: 0 },
				'buckets: must hold at most 500 buckets',
			],
			['{"batchId":', 'JSON'],
		];
		for (const [body, expected] of refusals) {
			const response = await report(dev, body);
			const answer = await jsonOf(response);
			assert.equal(response.status, 400, JSON.stringify(answer));
			assert.ok(JSON.stringify(answer).includes(expected), `${expected} in ${JSON.stringify(answer)}`);
		}
		const huge = await report(dev, { batchId: randomUUID(), buckets: [bucket({ model: 'x'.repeat(300_000) })], droppedRequests: 0 });
		assert.equal(huge.status, 413, 'a body over the size limit');
		assert.equal((await fetch(`${service.url}/api/v1/usage`, { method: 'POST', body: '{}' })).status, 401, 'no report without a token');
		assert.deepEqual(await adminUsage('groupBy=member'), [], 'nothing of any refused report was stored');
	});

	it("limits each member's reports a minute, and counts totals by model and outcome for Prometheus without a member label", async () => {
		const saved = await putPolicy(
			service.url,
			admin,
			{
				enabled: true,
				provider: {
					id: 'openai-compatible',
					baseUrl: 'https://ai.acme.example/v1',
					headers: {},
					apiKeyRequired: true,
					models: { allowed: ['gpt-4o'] },
				},
				usage: { reporting: 'counts' },
			},
			'"1"',
		);
		assert.equal(saved.status, 200, await saved.clone().text());
		const statuses: number[] = [];
		for (let index = 0; index < 6; index++) {
			const model = index === 0 ? 'made-up-model-name' : 'gpt-4o';
			statuses.push(
				(
					await report(dev, {
						batchId: randomUUID(),
						buckets: [bucket({ model, revision: 2, requests: 1, firstTokenRequests: 1 })],
						droppedRequests: 0,
					})
				).status,
			);
		}
		assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
		assert.equal(
			(await report(ops, { batchId: randomUUID(), buckets: [], droppedRequests: 0 })).status,
			200,
			"another member's own allowance",
		);
		const metrics = await (await fetch(`${service.url}/metrics`)).text();
		assert.match(metrics, /org_policy_usage_requests_total\{model="gpt-4o",outcome="ok"\} 4/);
		assert.match(metrics, /org_policy_usage_requests_total\{model="other",outcome="ok"\} 1/, 'a model the policy does not name is "other"');
		assert.match(metrics, /org_policy_usage_tokens_total\{model="gpt-4o",direction="input"\} 480/);
		assert.doesNotMatch(metrics, /dev@acme|made-up-model-name/);
	});

	it('answers a bad period or an unknown member with the field', async () => {
		for (const [query, expected] of [
			['from=2026-13-01', 'from: must be a date (YYYY-MM-DD)'],
			['from=2026-12-02&to=2026-12-01', 'to: must not be before from'],
			['member=nobody@acme.example', 'member: is not a member of this organization'],
			['groupBy=day,colour', 'groupBy: must be a comma-separated list'],
		]) {
			const response = await fetch(`${service.url}/api/v1/admin/usage?${query}`, { headers: bearer(admin) });
			assert.equal(response.status, 400);
			assert.ok((await response.text()).includes(expected!), expected);
		}
	});

	it("tells a member their standing against the month's budget: the policy's allowance, or their own where an admin set one", async () => {
		const provider = { id: 'openai-compatible', baseUrl: 'https://ai.acme.example/v1', headers: {}, apiKeyRequired: true };
		const refused = await putPolicy(
			service.url,
			admin,
			{ enabled: true, provider, usage: { reporting: 'off', budget: { monthlyTokens: 500, enforcement: 'hard' } } },
			'"1"',
		);
		assert.equal(refused.status, 400);
		assert.match(await refused.text(), /"path":"usage.budget","message":"needs usage reporting/);
		const saved = await putPolicy(
			service.url,
			admin,
			{ enabled: true, provider, usage: { reporting: 'counts', budget: { monthlyTokens: 500, enforcement: 'hard' } } },
			'"1"',
		);
		assert.equal(saved.status, 200, await saved.clone().text());
		await report(dev, { batchId: randomUUID(), buckets: [bucket({ revision: 2 })], droppedRequests: 0 });
		const standing = async (token: string) => jsonOf(await fetch(`${service.url}/api/v1/usage/standing`, { headers: bearer(token) }));
		const mine = await standing(dev);
		assert.deepEqual(
			{ used: mine.usedTokens, allowance: mine.allowance, enforcement: mine.enforcement },
			{ used: 150, allowance: 500, enforcement: 'hard' },
		);
		assert.equal(mine.month, new Date().toISOString().slice(0, 7));
		assert.equal((await standing(ops)).usedTokens, 0, "another member's requests are their own");

		const raise = (member: string, monthlyTokens: number | null, token = admin) =>
			fetch(`${service.url}/api/v1/admin/usage/budgets/${member}`, {
				method: 'PUT',
				headers: bearer(token, { 'content-type': 'application/json' }),
				body: JSON.stringify({ monthlyTokens }),
			});
		assert.equal((await raise('dev@acme.example', 5000)).status, 204);
		assert.equal((await standing(dev)).allowance, 5000);
		assert.equal((await standing(ops)).allowance, 500, 'the others keep the policy’s');
		const listed = await jsonOf(await fetch(`${service.url}/api/v1/admin/usage/budgets`, { headers: bearer(admin) }));
		assert.deepEqual(
			listed.budgets.map((budget: Record<string, unknown>) => [budget.member, budget.monthlyTokens, budget.updatedBy]),
			[['dev@acme.example', 5000, ADMIN.email]],
		);
		assert.equal((await raise('nobody@acme.example', 10)).status, 404);
		assert.equal((await raise('dev@acme.example', 0)).status, 400);
		assert.equal((await raise('dev@acme.example', 10, dev)).status, 403, 'members cannot raise their own');
		assert.equal((await raise('dev@acme.example', null)).status, 204);
		assert.equal((await standing(dev)).allowance, 500);
		// Each change is on the Activity list with the admin who made it; the refused ones are not.
		const changes = (await service.store.audit.listAudit('acme', { limit: 20 })).filter((event) => event.action === 'usage.budget_set');
		assert.deepEqual(changes.map(({ actor, detail }) => `${actor} ${detail['member']} ${detail['monthlyTokens']}`).sort(), [
			`${ADMIN.email} dev@acme.example 5000`,
			`${ADMIN.email} dev@acme.example the policy's`,
		]);

		// A new allowance tried on a canary first: only its members are measured against it.
		await createGroup(service.url, admin, 'Pilots', ['ops@acme.example']);
		const trial = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '*' }),
			body: JSON.stringify({
				enabled: true,
				provider,
				usage: { reporting: 'counts', budget: { monthlyTokens: 2000, enforcement: 'soft' } },
			}),
		});
		assert.equal(trial.status, 200, await trial.clone().text());
		assert.deepEqual(
			[await standing(ops), await standing(dev)].map((each) => [each.allowance, each.enforcement]),
			[
				[2000, 'soft'],
				[500, 'hard'],
			],
		);
	});

	it('exports the same totals to an OpenTelemetry collector over OTLP/HTTP when configured, without a member attribute', async () => {
		const received: string[] = [];
		const collector = createServer((request, response) => {
			let body = '';
			request.on('data', (chunk) => (body += String(chunk)));
			request.on('end', () => {
				received.push(`${request.method} ${request.url} ${request.headers['content-type']} ${request.headers['x-collector-key']}\n${body}`);
				response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
			});
		});
		await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
		// A hosted collector's key, as the README says to give it: OpenTelemetry's own variable.
		process.env.OTEL_EXPORTER_OTLP_METRICS_HEADERS = 'x-collector-key=collector-secret';
		const exporting = await startService({
			settings: {
				otlpMetricsUrl: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/metrics`,
				otlpMetricsIntervalSeconds: 1,
			},
		});
		try {
			await exporting.addUser('dev@acme.example', 'member');
			const token = (await exporting.signIn('dev@acme.example')).access_token;
			const sent = await fetch(`${exporting.url}/api/v1/usage`, {
				method: 'POST',
				headers: bearer(token, { 'content-type': 'application/json' }),
				body: JSON.stringify({
					batchId: randomUUID(),
					buckets: [bucket(), bucket({ outcome: 'timeout', requests: 2, firstTokenRequests: 0 })],
					droppedRequests: 0,
				}),
			});
			assert.equal(sent.status, 200);
			const deadline = Date.now() + 10_000;
			const points = () => {
				const found: Record<string, number> = {};
				for (const line of received) {
					const body = JSON.parse(line.slice(line.indexOf('\n') + 1));
					for (const metric of body.resourceMetrics.flatMap((resource: { scopeMetrics: { metrics: unknown[] }[] }) =>
						resource.scopeMetrics.flatMap((scope) => scope.metrics),
					)) {
						const { name, sum } = metric as {
							name: string;
							sum?: { dataPoints: { attributes: { key: string; value: { stringValue: string } }[]; asInt?: number; asDouble?: number }[] };
						};
						for (const point of sum?.dataPoints ?? []) {
							const labels = point.attributes
								.map((attribute) => `${attribute.key}=${attribute.value.stringValue}`)
								.sort()
								.join(',');
							found[`${name}{${labels}}`] = Number(point.asInt ?? point.asDouble);
						}
					}
				}
				return found;
			};
			while (!points()['org_policy.usage.requests{model=other,outcome=timeout}'] && Date.now() < deadline) {
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
			assert.match(received[0] ?? '', /^POST \/v1\/metrics application\/json collector-secret\n/);
			const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
			const resource = JSON.parse(received[0]!.slice(received[0]!.indexOf('\n') + 1)).resourceMetrics[0].resource;
			assert.deepEqual(
				Object.fromEntries(
					(resource.attributes as { key: string; value: { stringValue: string } }[]).map((attribute) => [
						attribute.key,
						attribute.value.stringValue,
					]),
				),
				{ 'service.name': 'org-provider-policy', 'service.version': version },
				'this release, and nothing a resource detector would have probed for',
			);
			const exported = points();
			assert.equal(exported['org_policy.usage.requests{model=other,outcome=ok}'], 3, JSON.stringify(exported));
			assert.equal(exported['org_policy.usage.requests{model=other,outcome=timeout}'], 2);
			assert.equal(exported['org_policy.usage.tokens{direction=input,model=other}'], 240);
			assert.doesNotMatch(received.join('\n'), /dev@acme|"gpt-4o"/, 'no member, and a model the policy does not name is "other"');
		} finally {
			delete process.env.OTEL_EXPORTER_OTLP_METRICS_HEADERS;
			await exporting.close();
			collector.close();
		}
	});
});
