import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Agent, request } from 'node:http';
import { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { bearer, startService, type RunningService } from '../support/service';

/** fastify publishes here each time a route's handler runs: a read the shortcut answered never gets there. */
const FASTIFY_HANDLER_START = 'tracing:fastify.request.handler:start';
const PLAIN = { enabled: true, provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1' } };

/** Everything of an answer but its date, which moves between two reads. */
async function answerOf(response: Response): Promise<{ status: number; headers: [string, string][]; body: string }> {
	const headers = [...response.headers].filter(([name]) => name !== 'date').sort(([a], [b]) => a.localeCompare(b));
	return { status: response.status, headers, body: await response.text() };
}

/** The service's policy reads that reached fastify's route handler. */
function readsReachingFastify(service: RunningService): { count(): number; stop(): void } {
	let count = 0;
	const onStart = (message: unknown): void => {
		const { request } = message as { request: FastifyRequest };
		if (request.server.server === service.app.server && request.routeOptions.url === '/api/v1/policy') {
			count++;
		}
	};
	subscribe(FASTIFY_HANDLER_START, onStart);
	return { count: () => count, stop: () => void unsubscribe(FASTIFY_HANDLER_START, onStart) };
}

/** A GET of `url` through `agent`, with `authorization`; its status. */
function statusThrough(agent: Agent, url: string, authorization: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const sent = request(url, { agent, headers: { authorization } }, (response) => {
			response.resume();
			response.on('end', () => resolve(response.statusCode ?? 0));
		});
		sent.on('error', reject);
		sent.end();
	});
}

/** #31: a member's usual read is answered before fastify's router, exactly as the route answers it. */
describe('the members’ policy read shortcut', () => {
	let service: RunningService;
	let reaching: ReturnType<typeof readsReachingFastify>;
	let token: string;

	beforeEach(async () => {
		service = await startService();
		reaching = readsReachingFastify(service);
		await service.addUser('dev@acme.example', 'member');
		assert.equal((await service.policies.save('acme', PLAIN, 'any', 'admin@acme.example')).kind, 'saved');
		token = (await service.signIn('dev@acme.example')).access_token;
	});

	afterEach(async () => {
		reaching.stop();
		await service.close();
	});

	const read = (headers: Record<string, string> = {}, path = '/api/v1/policy', method = 'GET') =>
		fetch(`${service.url}${path}`, { method, headers: bearer(token, headers) });

	it('answers a token resolved moments ago without fastify, with the route’s status, headers and bytes', async () => {
		const variants: Record<string, string>[] = [
			{},
			{ 'if-none-match': '"2"' },
			{ 'org-policy-schema': '2' },
			{ 'if-none-match': 'W/"1", "2.v2"', 'org-policy-schema': '2' },
		];
		for (const headers of variants) {
			const before = reaching.count();
			// The first read of the test resolves the token through the route; each later one is the shortcut's.
			const byRoute = await answerOf(await read(headers));
			const reachedRoute = reaching.count() - before;
			const byShortcut = await answerOf(await read(headers));
			assert.equal(reaching.count() - before, reachedRoute, `the second read with ${JSON.stringify(headers)} did not reach fastify`);
			assert.deepEqual(byShortcut, byRoute, `same answer for ${JSON.stringify(headers)}`);
		}
		assert.equal(reaching.count(), 1, 'only the very first read went through the route');
		const notModified = await read({ 'if-none-match': '"2"' });
		assert.equal(notModified.status, 304);
		assert.equal(notModified.headers.get('x-content-type-options'), 'nosniff');
		const metrics = await (await fetch(`${service.url}/metrics`)).text();
		assert.match(metrics, /org_policy_http_requests_total\{method="GET",route="\/api\/v1\/policy",status="200"\} 4\b/);
		assert.match(metrics, /org_policy_http_requests_total\{method="GET",route="\/api\/v1\/policy",status="304"\} 5\b/);
	});

	it('leaves to fastify a HEAD, a query, a policy with overlays, a revoked token and a trailing slash', async () => {
		await read();
		const counted = reaching.count();
		assert.equal((await read({}, '/api/v1/policy', 'HEAD')).status, 200);
		assert.equal((await read({}, '/api/v1/policy?fresh=1')).status, 200);
		assert.equal(reaching.count(), counted + 2, 'HEAD and the query went through the route');

		const overlaid = { ...PLAIN, overlays: [{ group: 'team-a', models: { allowed: ['gpt-4o-mini'] } }] };
		assert.equal((await service.policies.save('acme', overlaid, 'any', 'admin@acme.example')).kind, 'saved');
		const withOverlays = await read();
		assert.equal(withOverlays.status, 200);
		assert.equal(reaching.count(), counted + 3, 'a policy with overlays is read through the route');
		assert.equal(JSON.parse(await withOverlays.text()).policy.revision, 3);

		await service.accounts.tokens.revoke(token);
		const revoked = await read();
		assert.equal(revoked.status, 401);
		assert.equal(revoked.headers.get('www-authenticate'), 'Bearer realm="org-policy"');
		assert.equal((await read({}, '/api/v1/policy/')).status, 404, 'a trailing slash is not the read');
	});

	it('answers each request on a kept-alive connection for the token it carries, a revocation at once', async () => {
		// Two members' tokens over one connection: what the shortcut remembers of a connection's last
		// header must never answer for another header, nor outlive a revocation.
		await service.addUser('other@acme.example', 'member');
		const other = (await service.signIn('other@acme.example')).access_token;
		let connections = 0;
		service.app.server.on('connection', () => connections++);
		const agent = new Agent({ keepAlive: true, maxSockets: 1 });
		const url = `${service.url}/api/v1/policy`;
		try {
			const readAs = (authorization: string) => statusThrough(agent, url, authorization);
			assert.deepEqual(
				[await readAs(`Bearer ${token}`), await readAs(`Bearer ${other}`), await readAs(`Bearer ${token}`)],
				[200, 200, 200],
			);
			const throughRoute = reaching.count();
			await service.accounts.tokens.revoke(other);
			assert.equal(await readAs(`Bearer ${other}`), 401, 'the revoked token, right after the same header');
			assert.equal(await readAs(`Bearer ${token}`), 200);
			assert.equal(await readAs(`Bearer ${other}`), 401, 'the revoked token, after another');
			assert.equal(await readAs(`bearer ${token}`), 200, 'the scheme in any case, as the route takes it');
			assert.equal(await readAs(`Bearer ${token}x`), 401, 'a header one byte longer is another token');
			assert.equal(await readAs(`Basic ${token}`), 401);
			assert.equal(await readAs(`Bearer ${token}`), 200);
			// A refusal never gets to the route's handler; every 200 since the first three was the shortcut's.
			assert.equal(reaching.count(), throughRoute, 'the shortcut answered the reads it admitted');
			await service.accounts.tokens.revoke(token);
			assert.equal(await readAs(`Bearer ${token}`), 401, 'a token revoked while its connection stays open');
			assert.equal(connections, 1, 'every read was on one connection');
		} finally {
			agent.destroy();
		}
	});

	it('leaves every read to fastify while requests are logged, so each is logged', async () => {
		await service.close();
		const lines: string[] = [];
		const stream = new Writable({
			write(chunk, _encoding, done) {
				lines.push(String(chunk));
				done();
			},
		});
		service = await startService({ logger: { level: 'info', stream } });
		reaching.stop();
		reaching = readsReachingFastify(service);
		token = (await service.signIn('admin@acme.example')).access_token;
		for (let index = 0; index < 3; index++) {
			assert.equal((await read()).status, 200);
		}
		assert.equal(reaching.count(), 3);
		const logged = lines.filter((line) => line.includes('"msg":"incoming request"') && line.includes('"url":"/api/v1/policy"'));
		assert.equal(logged.length, 3);
	});
});
