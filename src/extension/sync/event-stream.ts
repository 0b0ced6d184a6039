import type { Scheduler } from '../base/scheduler';
import { ServiceUnreachableError } from '../base/service-http';
import { StallWatchdog } from './stall-watchdog';
import { stallAfterMs } from './timing';
import type { PolicyTransport } from './transport';

/**
 * Follows the policy event stream until it ends or stalls (a failure), the member's token ends (a
 * refresh and a new stream), or a wake; each policy event's envelope goes to `receive`, in order.
 */
export async function followEventStream(
	transport: PolicyTransport,
	scheduler: Scheduler,
	fromRevision: number | undefined,
	signal: AbortSignal,
	receive: (envelope: unknown) => Promise<void>,
): Promise<'ok' | 'signed-out' | 'unsupported'> {
	const watchdog = new StallWatchdog(scheduler, signal);
	try {
		const answer = await transport.events(fromRevision, AbortSignal.any([signal, watchdog.signal]), () => watchdog.kick());
		if (answer.kind !== 'stream') {
			return answer.kind;
		}
		// Dropped after three missed heartbeats (and a margin), when the service says how often it sends them.
		watchdog.arm(answer.heartbeatMs && stallAfterMs(answer.heartbeatMs));
		for await (const event of answer.events) {
			watchdog.kick();
			if (event.event === 'revoked' || event.event === 'expired') {
				// The stream ended with its token. Expired: a refresh and a new stream, no visible change.
				// Revoked: the refresh fails too and the member is signed out.
				return (await transport.refresh()) ? 'ok' : 'signed-out';
			}
			if (event.event === 'policy') {
				await receive(JSON.parse(event.data));
			}
		}
		throw new ServiceUnreachableError('the policy event stream ended');
	} catch (error) {
		throw watchdog.signal.aborted ? watchdog.signal.reason : error;
	} finally {
		watchdog.dispose();
	}
}
