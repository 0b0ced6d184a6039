import assert from 'node:assert/strict';
import type { DeviceAuthorization } from '../../src/policy';
import { DeviceFlowError, runDeviceFlow } from '../../src/extension/auth/device-flow';
import { eventually } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { approveDevice, ManualClock, startService, type RunningService } from '../support/service';

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

	it('stops when cancelled', async () => {
		const scheduler = new ManualScheduler(clock, false);
		const controller = new AbortController();
		const flow = runDeviceFlow(connection(), scheduler, { showCode: () => undefined }, controller.signal);
		await scheduler.pendingSleep();
		controller.abort();
		await assert.rejects(flow, (error: DeviceFlowError) => error.reason === 'cancelled');
	});
});
