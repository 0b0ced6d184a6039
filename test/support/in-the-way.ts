import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Something between a member and the policy service that answers instead of it: a proxy's error
 * page, a gateway's rate limit, a network sign-in page. It answers every request the same way,
 * on loopback.
 */
export interface InTheWay {
	readonly url: string;
	/**
	 * A fetch that sends the token endpoint's requests here (the first `times` of them; all when
	 * not given) and everything else on to where it was going.
	 */
	tokenEndpointFetch(times?: number): typeof fetch;
	close(): Promise<void>;
}

/** `port`: where it answers (the service's own, to stand in its place); any free one when not given. */
export async function startInTheWay(answer: {
	status: number;
	type: string;
	body: string;
	headers?: Record<string, string>;
	port?: number;
}): Promise<InTheWay> {
	const server = createServer((_request, response) => {
		response.writeHead(answer.status, { 'content-type': answer.type, ...answer.headers });
		response.end(answer.body);
	});
	await new Promise<void>((resolve) => server.listen(answer.port ?? 0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		tokenEndpointFetch(times = Number.POSITIVE_INFINITY) {
			let left = times;
			return (input, init) => globalThis.fetch(String(input).endsWith('/oauth/token') && left-- > 0 ? `${url}/oauth/token` : input, init);
		},
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve());
				// Event streams the member held open here end too, as they would when the network lets them through.
				server.closeAllConnections();
			}),
	};
}
