import {
	CLIENT_ID,
	DEVICE_CODE_GRANT,
	DeviceAuthorizationSchema,
	TokenResponseSchema,
	type DeviceAuthorization,
	type TokenResponse,
} from '../../policy';
import type { Scheduler } from '../base/scheduler';
import { formBody, serviceFetch, type ServiceConnection } from '../base/service-http';

export type DeviceFlowFailure = 'expired' | 'denied' | 'cancelled' | 'protocol';

export class DeviceFlowError extends Error {
	override readonly name = 'DeviceFlowError';
	constructor(
		readonly reason: DeviceFlowFailure,
		message: string,
	) {
		super(message);
	}
}

export interface DeviceFlowUi {
	/** Shows the code and where to enter it; the flow keeps polling meanwhile. */
	showCode(authorization: DeviceAuthorization): void;
}

/**
 * RFC 8628 from the device's side: ask for a code, show it, poll the token endpoint at the
 * server's interval, five seconds slower after each slow_down (§3.5), until approved, denied,
 * expired or cancelled.
 */
export async function runDeviceFlow(
	connection: ServiceConnection,
	scheduler: Scheduler,
	ui: DeviceFlowUi,
	signal: AbortSignal,
): Promise<TokenResponse> {
	const started = await serviceFetch(connection, '/oauth/device_authorization', { ...formBody({ client_id: CLIENT_ID }), signal });
	if (!started.ok) {
		throw new DeviceFlowError('protocol', `the policy service refused the sign-in request (${started.status})`);
	}
	const authorization = DeviceAuthorizationSchema.parse(await started.json());
	ui.showCode(authorization);
	const deadline = scheduler.now() + authorization.expires_in * 1000;
	let interval = authorization.interval;
	for (;;) {
		try {
			await scheduler.sleep(interval * 1000, signal);
		} catch {
			throw new DeviceFlowError('cancelled', 'sign-in cancelled');
		}
		if (scheduler.now() >= deadline) {
			throw new DeviceFlowError('expired', 'the sign-in code expired before it was approved; run Sign In again');
		}
		const response = await serviceFetch(connection, '/oauth/token', {
			...formBody({ grant_type: DEVICE_CODE_GRANT, device_code: authorization.device_code, client_id: CLIENT_ID }),
			signal,
		});
		const body = (await response.json()) as { error?: string };
		if (response.ok) {
			return TokenResponseSchema.parse(body);
		}
		switch (body.error) {
			case 'authorization_pending':
				continue;
			case 'slow_down':
				interval += 5;
				continue;
			case 'expired_token':
				throw new DeviceFlowError('expired', 'the sign-in code expired before it was approved; run Sign In again');
			case 'access_denied':
				throw new DeviceFlowError('denied', 'the sign-in was denied in the browser');
			default:
				throw new DeviceFlowError('protocol', `the policy service answered ${response.status} ${body.error ?? ''}`.trim());
		}
	}
}
