import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceAuthorization } from '../../src/policy';
import { DeviceFlowError, runDeviceFlow } from '../../src/extension/auth/device-flow';
import { eventually } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { approveDevice, ManualClock, startService, type RunningService } from '../support/service';
import { startInTheWay } from '../support/in-the-way';

describe('device flow client (RFC 8628) against the real service', () => {
	let service: RunningService;
	let clock: ManualClock;

	beforeEach(async () => {
		clock = new ManualClock();
		service = await startService({ clock });
		await service.addUser('dev@acme.example', 'member');
	});
	afterEach(async () => service.close());

	const connection = () => ({ serverUrl: service.url, fetch: globalThis.fetch });
	const approveOnPage = (code: DeviceAuthorization, action: 'approve' | 'deny' = 'approve') =>
		approveDevice(service.url, code.user_code, 'dev@acme.example', 'pw-dev@acme.example-long-enough', action);

	it('polls at the server interval until the member approves, then returns tokens and the signing key', async () => {
		const scheduler = new ManualScheduler(clock, true);
		let approval: Promise<Response> | undefined;
		const tokens = await runDeviceFlow(
			connection(),
			scheduler,
			{ showCode: (code) => (approval = approveOnPage(code)) },
			new AbortController().signal,
		);
		assert.equal((await approval!).status, 200);
		assert.equal(tokens.organization.id, 'acme');
		assert.equal(tokens.user.email, 'dev@acme.example');
		assert.equal(tokens.policy_signing_key.alg, 'Ed25519');
		assert.ok(
			scheduler.sleeps.every((ms) => ms === 5000),
			`slept ${scheduler.sleeps}`,
		);
	});

	it('waits 5 s longer after each slow_down', async () => {
		const scheduler = new ManualScheduler(clock, true);
		// The member's machine wakes early twice (clock moves 1 s per sleep), so the service says slow_down.
		let early = 2;
		const sleep = scheduler.sleep.bind(scheduler);
		scheduler.sleep = (ms, signal) => {
			if (early-- > 0) {
				scheduler.sleeps.push(ms);
				clock.advance(1000);
				return Promise.resolve();
			}
			return sleep(ms, signal);
		};
		let shown: DeviceAuthorization | undefined;
		const flow = runDeviceFlow(connection(), scheduler, { showCode: (code) => (shown = code) }, new AbortController().signal);
		await eventually('the code to be shown', () => shown !== undefined);
		await approveOnPage(shown!);
		await flow;
		assert.deepEqual(scheduler.sleeps.slice(0, 3), [5000, 5000, 10_000], `slept ${scheduler.sleeps}`);
	});

	it('reports a denied sign-in', async () => {
		const scheduler = new ManualScheduler(clock, true);
		await assert.rejects(
			runDeviceFlow(connection(), scheduler, { showCode: (code) => void approveOnPage(code, 'deny') }, new AbortController().signal),
			(error: DeviceFlowError) => error.reason === 'denied',
		);
	});

	it('reports an expired code when nobody approves in time', async () => {
		const scheduler = new ManualScheduler(clock, true);
		await assert.rejects(
			runDeviceFlow(connection(), scheduler, { showCode: () => undefined }, new AbortController().signal),
			(error: DeviceFlowError) => error.reason === 'expired' && /expired/.test(error.message),
		);
		assert.ok(clock.now() - Date.parse('2026-11-26T10:00:00Z') >= 900_000);
	});

	it('keeps polling, backing off, while the service restarts: the member approving then still signs in (RFC 8628 §3.5)', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-device-restart-'));
		let first: RunningService | undefined = await startService({ clock, dataDir });
		let second: RunningService | undefined;
		try {
			const url = first.url;
			const port = Number(new URL(url).port);
			const scheduler = new ManualScheduler(clock, false);
			let shown: DeviceAuthorization | undefined;
			const flow = runDeviceFlow(
				{ serverUrl: url, fetch: globalThis.fetch },
				scheduler,
				{ showCode: (code) => (shown = code) },
				new AbortController().signal,
			);
			assert.equal(await scheduler.pendingSleep(), 5000);
			await first.close();
			first = undefined;
			// Two polls find nobody listening: each waits twice as long as the one before.
			scheduler.advance(5000);
			assert.equal(await scheduler.pendingSleep(), 10_000);
			scheduler.advance(10_000);
			assert.equal(await scheduler.pendingSleep(), 20_000);
			second = await startService({ clock, dataDir, port });
			await second.addUser('dev@acme.example', 'member').catch(() => undefined);
			const approved = await approveDevice(second.url, shown!.user_code, 'dev@acme.example', 'pw-dev@acme.example-long-enough');
			assert.equal(approved.status, 200, 'the code outlived the restart');
			scheduler.advance(20_000);
			const tokens = await flow;
			assert.equal(tokens.user.email, 'dev@acme.example');
			assert.deepEqual(scheduler.sleeps, [5000, 10_000, 20_000]);
		} finally {
			await first?.close();
			await second?.close();
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it("backs off on a proxy's error page too, and says why when the code expires meanwhile", async () => {
		const proxy = await startInTheWay({ status: 502, type: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' });
		try {
			// The code comes from the service; every poll after it meets the proxy's error page.
			const fetchThroughProxy = proxy.tokenEndpointFetch();
			const scheduler = new ManualScheduler(clock, true);
			await assert.rejects(
				runDeviceFlow(
					{ serverUrl: service.url, fetch: fetchThroughProxy },
					scheduler,
					{ showCode: () => undefined },
					new AbortController().signal,
				),
				{
					name: 'DeviceFlowError',
					reason: 'expired',
					message: 'the sign-in code expired before it was approved (the last try: the policy service answered 502); run Sign In again',
				},
			);
			assert.deepEqual(scheduler.sleeps.slice(0, 6), [5000, 10_000, 20_000, 40_000, 60_000, 60_000], 'doubling, at most a minute');
		} finally {
			await proxy.close();
		}
	});

	it("keeps polling through a gateway's rate limit (429): it says nothing of the code, though its body names an error", async () => {
		const gateway = await startInTheWay({
			status: 429,
			type: 'application/json',
			headers: { 'retry-after': '10' },
			body: JSON.stringify({ error: 'rate_limited', message: 'Too many requests from this address' }),
		});
		try {
			const fetchThroughGateway = gateway.tokenEndpointFetch(2);
			const scheduler = new ManualScheduler(clock, true);
			let approval: Promise<Response> | undefined;
			const tokens = await runDeviceFlow(
				{ serverUrl: service.url, fetch: fetchThroughGateway },
				scheduler,
				{ showCode: (code) => void (approval = approveOnPage(code)) },
				new AbortController().signal,
			);
			assert.equal((await approval)?.status, 200);
			assert.equal(tokens.user.email, 'dev@acme.example');
			assert.deepEqual(scheduler.sleeps.slice(0, 3), [5000, 10_000, 20_000], 'backed off twice, then the service answered');
		} finally {
			await gateway.close();
		}
	});

	it('says what the service said when it ends the sign-in for another reason', async () => {
		const scheduler = new ManualScheduler(clock, false);
		const flow = runDeviceFlow(connection(), scheduler, { showCode: () => undefined }, new AbortController().signal);
		await scheduler.pendingSleep();
		// The service loses the code (its database was replaced): the next poll is refused as invalid_grant.
		await service.store.purgeExpired(Number.MAX_SAFE_INTEGER);
		scheduler.advance(5000);
		await assert.rejects(
			flow,
			(error: DeviceFlowError) =>
				error.reason === 'protocol' && /^the policy service answered 400 \(invalid_grant: .+\)$/.test(error.message),
		);
	});

	it('says why the service refused to start a sign-in', async () => {
		const limited = await startService({ clock, settings: { deviceAuthorizationsPerMinute: 1 } });
		try {
			const scheduler = new ManualScheduler(clock, false);
			const start = (signal: AbortSignal) =>
				runDeviceFlow({ serverUrl: limited.url, fetch: globalThis.fetch }, scheduler, { showCode: () => undefined }, signal);
			const controller = new AbortController();
			const first = start(controller.signal);
			await scheduler.pendingSleep();
			controller.abort();
			await assert.rejects(first, { reason: 'cancelled' }, 'the first sign-in request was taken, then cancelled');
			await assert.rejects(start(new AbortController().signal), (error: DeviceFlowError) => {
				assert.equal(error.reason, 'protocol');
				assert.match(error.message, /^could not start the sign-in: the policy service answered 429: .*\d+ .*$/);
				return true;
			});
		} finally {
			await limited.close();
		}
	});

	it('stops when cancelled', async () => {
		const scheduler = new ManualScheduler(clock, false);
		const controller = new AbortController();
		const flow = runDeviceFlow(connection(), scheduler, { showCode: () => undefined }, controller.signal);
		await scheduler.pendingSleep();
		controller.abort();
		await assert.rejects(flow, (error: DeviceFlowError) => error.reason === 'cancelled');
	});
});
