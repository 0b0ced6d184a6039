import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

/** Network settings as VS Code (`http.proxy`, `http.proxyStrictSSL`, `http.noProxy`) and the environment give them. */
export interface HttpOptions {
	proxy?: string | undefined;
	noProxy?: readonly string[] | undefined;
	/** `http.proxyStrictSSL`: false accepts any certificate (a member's explicit choice). */
	strictSSL?: boolean | undefined;
	/** Extra CA certificate files (PEM), e.g. a corporate TLS-inspection root. */
	caFiles?: readonly string[] | undefined;
	connectTimeoutMs?: number | undefined;
	headersTimeoutMs?: number | undefined;
	bodyTimeoutMs?: number | undefined;
	env?: NodeJS.ProcessEnv | undefined;
}

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function certificates(options: HttpOptions): string[] | undefined {
	const env = options.env ?? process.env;
	const files = [
		...(options.caFiles ?? []).map((file) => ({ file, from: 'orgProviderPolicy.http.caCertificates' })),
		...(env.NODE_EXTRA_CA_CERTS ? [{ file: env.NODE_EXTRA_CA_CERTS, from: 'NODE_EXTRA_CA_CERTS' }] : []),
	];
	if (files.length === 0) {
		return undefined;
	}
	// Giving `ca` replaces Node's bundled roots, so keep them alongside the extra ones.
	return [...rootCertificates, ...files.map(({ file, from }) => readCertificate(file, from))];
}

/** A CA file's PEM text, or an error naming the setting that lists it (not Node's bare ENOENT). */
function readCertificate(file: string, from: string): string {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new Error(`${from} lists ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
			cause: error,
		});
	}
	if (!text.includes('-----BEGIN CERTIFICATE-----')) {
		throw new Error(`${from} lists ${file}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
	}
	return text;
}

/**
 * The one dispatcher every request goes through: keep-alive, connect/headers/body timeouts,
 * proxy from settings or the standard environment variables, extra CA certificates.
 */
export function createDispatcher(options: HttpOptions = {}): Dispatcher {
	const env = options.env ?? process.env;
	const tls = { ca: certificates(options), rejectUnauthorized: options.strictSSL ?? true };
	// Loopback (Ollama, LM Studio, a local gateway) never goes through a proxy, whatever NO_PROXY says.
	const listed = options.noProxy?.length ? options.noProxy.join(',') : (env.NO_PROXY ?? env.no_proxy ?? '');
	const noProxy = [listed, 'localhost', '127.0.0.1', '[::1]'].filter(Boolean).join(',');
	return new EnvHttpProxyAgent({
		httpProxy: options.proxy ?? env.HTTP_PROXY ?? env.http_proxy,
		httpsProxy: options.proxy ?? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy,
		noProxy,
		connect: { ...tls, timeout: options.connectTimeoutMs ?? 10_000 },
		requestTls: tls,
		headersTimeout: options.headersTimeoutMs ?? 60_000,
		bodyTimeout: options.bodyTimeoutMs ?? 120_000,
		keepAliveTimeout: 30_000,
	});
}

/** A fetch bound to the dispatcher, for the openai SDK's `fetch` option. */
export function fetchThrough(dispatcher: Dispatcher): FetchFunction {
	return ((input: string | URL | Request, init?: RequestInit) =>
		undiciFetch(input as Parameters<typeof undiciFetch>[0], {
			...(init as Parameters<typeof undiciFetch>[1]),
			dispatcher,
		})) as unknown as FetchFunction;
}

/**
 * The proxy requests go through, as the member configured it (setting, else environment), without
 * any credentials in it: named in error messages, so a proxy's failure is not blamed on the endpoint.
 */
export function configuredProxy(options: HttpOptions = {}): string | undefined {
	const env = options.env ?? process.env;
	const raw = options.proxy ?? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
	if (!raw) {
		return undefined;
	}
	try {
		const url = new URL(raw);
		return url.host;
	} catch {
		return undefined;
	}
}
