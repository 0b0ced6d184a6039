import type { APIError } from 'openai';
import { causes } from './cause-chain';
import type { EffectiveProvider } from './effective-provider';
import { ChatRequestError } from './request-error';

/** A proxy's status for a refused tunnel (CONNECT), as undici reports it. */
const TUNNEL_REFUSED = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/;
/** A forwarding proxy's 407 (plain HTTP), which undici turns into an error of its own. */
const FORWARD_REFUSED = /^Proxy Authentication Required \(407\)$/;

/**
 * Failures of the proxy rather than the endpoint: a refused tunnel (407 wants proxy credentials;
 * 502/503/504 mean the proxy could not reach the endpoint), or no connection to the proxy itself
 * (the address that failed is the proxy's, not the endpoint's).
 */
export function proxyFailure(error: unknown, host: string, proxy: string | undefined, baseUrl: string): ChatRequestError | undefined {
	const chain = causes(error);
	const tunnel = chain.map((cause) => (cause instanceof Error ? TUNNEL_REFUSED.exec(cause.message) : null)).find(Boolean);
	const named = proxy ? `The proxy ${proxy}` : 'The proxy';
	if (chain.some((cause) => cause instanceof Error && FORWARD_REFUSED.test(cause.message))) {
		return new ChatRequestError(
			'proxy',
			`${named} asks for credentials (407) before it forwards the request to ${host}: put them in the proxy setting (http.proxy, http://user:password@proxy:port) or ask IT.`,
			407,
		);
	}
	if (tunnel) {
		const status = Number(tunnel[1]);
		if (status === 407) {
			return new ChatRequestError(
				'proxy',
				`${named} asks for credentials (407) before it connects to ${host}: put them in the proxy setting (http.proxy, http://user:password@proxy:port) or ask IT.`,
				status,
			);
		}
		return new ChatRequestError(
			'proxy',
			`${named} could not connect to ${host} (${status}): ${baseUrl}, or ask whoever runs the proxy whether it lets ${host} through.`,
			status,
		);
	}
	if (!proxy) {
		return undefined;
	}
	const failed = chain.find(
		(cause): cause is { code: string; address?: string; port?: number; hostname?: string } =>
			typeof (cause as { code?: unknown }).code === 'string' && ('address' in (cause as object) || 'hostname' in (cause as object)),
	);
	const [proxyHost, proxyPort] = [proxy.replace(/:\d+$/, ''), /:(\d+)$/.exec(proxy)?.[1]];
	const atProxy = failed && (failed.hostname === proxyHost || (failed.port !== undefined && String(failed.port) === proxyPort));
	if (failed && atProxy) {
		return new ChatRequestError(
			'proxy',
			`Cannot reach the proxy ${proxy} (${failed.code}) on the way to ${host}: check the proxy setting (http.proxy or HTTPS_PROXY), or whether the proxy is running.`,
		);
	}
	return undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Plain HTTP goes through a proxy forwarded, not tunnelled, so the proxy's failure to reach the
 * endpoint arrives as an ordinary HTTP answer: a 502/503/504 without the endpoint's JSON error body
 * (or with RFC 9209's Proxy-Status) is the proxy's, not the endpoint's.
 */
export function forwardingProxyFailure(
	error: InstanceType<typeof APIError>,
	provider: EffectiveProvider,
	host: string,
	proxy: string | undefined,
	baseUrlAdvice: string,
): ChatRequestError | undefined {
	const status = error.status ?? 0;
	const named = proxy ? `The proxy ${proxy}` : 'The proxy';
	const url = new URL(provider.baseUrl);
	const throughProxy = proxy !== undefined && url.protocol === 'http:' && !LOOPBACK.has(url.hostname);
	const fromProxy = error.headers?.has('proxy-status') ?? false;
	if (throughProxy && [502, 503, 504].includes(status) && (fromProxy || error.error === undefined)) {
		return new ChatRequestError(
			'proxy',
			`${named} could not reach ${host} (${status}): ${baseUrlAdvice}, or ask whoever runs the proxy whether it lets ${host} through.`,
			status,
		);
	}
	return undefined;
}
