import {
	CLIENT_ID,
	DEVICE_CODE_GRANT,
	DeviceAuthorizationSchema,
	TokenResponseSchema,
	type DeviceAuthorization,
	type TokenResponse,
} from '../../policy';
import type { Scheduler } from '../base/scheduler';
import {
	describeRefusal,
	describeServiceFailure,
	formBody,
	isServiceUnanswered,
	readServiceJson,
	readTokenEndpointError,
	serviceFetch,
	ServiceHttpError,
	type OAuthRefusal,
	type ServiceConnection,
} from '../base/service-http';

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

/** The longest wait between two polls while the service cannot be reached or answers 5xx. */
const MOST_BACKOFF_SECONDS = 60;

/**
 * RFC 8628 from the device's side: ask for a code, show it, poll the token endpoint at the
 * server's interval, five seconds slower after each slow_down (§3.5), until approved, denied,
 * expired or cancelled. While the service cannot be reached or answers 5xx (a restart, a proxy
 * between two instances), polling goes on with a doubling wait (§3.5's backoff) instead of ending
 * a sign-in the member may be approving right then; the code outlives a restart of the service.
 */
export async function runDeviceFlow(
	connection: ServiceConnection,
	scheduler: Scheduler,
	ui: DeviceFlowUi,
	signal: AbortSignal,
): Promise<TokenResponse> {
	const started = await serviceFetch(connection, '/oauth/device_authorization', {
		...formBody({ client_id: CLIENT_ID }),
		signal,
	}).catch((error: unknown) => {
		throw signal.aborted ? cancelled() : error;
	});
	if (!started.ok) {
		const answer = await readTokenEndpointError(started, 'the policy service');
		throw new DeviceFlowError(
			'protocol',
			answer instanceof ServiceHttpError
				? `could not start the sign-in: ${answer.message}`
				: `the policy service refused the sign-in request (${answer.status}: ${describeRefusal(answer)})`,
		);
	}
	const authorization = await readServiceJson(started, 'the policy service', DeviceAuthorizationSchema);
	ui.showCode(authorization);
	const deadline = scheduler.now() + authorization.expires_in * 1000;
	let interval = authorization.interval;
	let wait = interval;
	/** Why the last poll got no answer of the service's, while that lasts. */
	let trouble: string | undefined;
	for (;;) {
		try {
			await scheduler.sleep(wait * 1000, signal);
		} catch {
			throw cancelled();
		}
		if (scheduler.now() >= deadline) {
			const why = trouble ? ` (the last try: ${trouble})` : '';
			throw new DeviceFlowError('expired', `the sign-in code expired before it was approved${why}; run Sign In again`);
		}
		const answer = await poll(connection, authorization.device_code, signal);
		if (answer.kind === 'trouble') {
			trouble = answer.why;
			wait = Math.min(wait * 2, Math.max(interval, MOST_BACKOFF_SECONDS));
			continue;
		}
		trouble = undefined;
		wait = interval;
		if (answer.kind === 'tokens') {
			return answer.tokens;
		}
		switch (answer.refusal.error) {
			case 'authorization_pending':
				continue;
			case 'slow_down':
				interval += 5;
				wait = interval;
				continue;
			case 'expired_token':
				throw new DeviceFlowError('expired', 'the sign-in code expired before it was approved; run Sign In again');
			case 'access_denied':
				throw new DeviceFlowError('denied', 'the sign-in was denied in the browser');
			default:
				throw new DeviceFlowError('protocol', `the policy service answered ${answer.refusal.status} (${describeRefusal(answer.refusal)})`);
		}
	}
}

const cancelled = () => new DeviceFlowError('cancelled', 'sign-in cancelled');

/** One poll of the token endpoint: tokens, a refusal, or why there was no answer to read (to try again later). */
async function poll(
	connection: ServiceConnection,
	deviceCode: string,
	signal: AbortSignal,
): Promise<{ kind: 'tokens'; tokens: TokenResponse } | { kind: 'refusal'; refusal: OAuthRefusal } | { kind: 'trouble'; why: string }> {
	let response: Response;
	try {
		response = await serviceFetch(connection, '/oauth/token', {
			...formBody({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: CLIENT_ID }),
			signal,
		});
	} catch (error) {
		if (signal.aborted) {
			throw cancelled();
		}
		if (isServiceUnanswered(error)) {
			return { kind: 'trouble', why: describeServiceFailure(error) };
		}
		throw error;
	}
	if (response.ok) {
		return { kind: 'tokens', tokens: await readServiceJson(response, 'the policy service', TokenResponseSchema) };
	}
	const answer = await readTokenEndpointError(response, 'the policy service');
	// Not the token endpoint speaking (a proxy's error page, a service starting up): ask again later.
	return answer instanceof ServiceHttpError ? { kind: 'trouble', why: answer.message } : { kind: 'refusal', refusal: answer };
}
