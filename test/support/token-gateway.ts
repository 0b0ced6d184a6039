import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates } from './fake-endpoint';
import { freePort } from './free-port';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

export interface TokenGateway {
	/** Where members send requests: validated, then reverse-proxied to the endpoint. */
	readonly url: string;
	/** What Apache wrote to its error log (mod_auth_openidc says there why it refused a token). */
	errorLog(): string;
	close(): Promise<void>;
}

/**
 * A real token-validating gateway: Debian's Apache httpd with `mod_auth_openidc` as an OAuth 2.0
 * resource server. It verifies each token against the policy service's JWKS (fetched over TLS
 * through a second virtual host that fronts the service, as in production), requires the
 * audience, and reverse-proxies what passes to the endpoint. Loopback only.
 */
export async function startTokenGateway(options: { serviceUrl: string; endpointUrl: string; audience: string }): Promise<TokenGateway> {
	if (!existsSync(APACHE) || !existsSync(join(MODULES, 'mod_auth_openidc.so'))) {
		throw new Error(
			'the gateway test needs Apache httpd and mod_auth_openidc: apt-get install apache2 libapache2-mod-auth-openidc (.ci/run does)',
		);
	}
	const dir = mkdtempSync(join(tmpdir(), 'opp-gateway-'));
	const certificates = makeTestCertificates();
	writeFileSync(join(dir, 'server.key'), certificates.key);
	writeFileSync(join(dir, 'server.pem'), certificates.cert);
	const [port, tlsPort] = [await freePort(), await freePort()];
	const modules = ['mpm_event', 'authz_core', 'authn_core', 'auth_openidc', 'proxy', 'proxy_http', 'ssl', 'socache_shmcb'];
	const config = [
		`ServerRoot ${dir}`,
		'ServerName 127.0.0.1',
		`PidFile ${dir}/httpd.pid`,
		`ErrorLog ${dir}/error.log`,
		'LogLevel warn auth_openidc:info',
		`DefaultRuntimeDir ${dir}`,
		`Mutex file:${dir} default`,
		...modules.map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`),
		`Listen 127.0.0.1:${port}`,
		`Listen 127.0.0.1:${tlsPort}`,
		// The policy service behind TLS, as gateways reach it in production (mod_auth_openidc fetches keys over https only).
		`<VirtualHost 127.0.0.1:${tlsPort}>`,
		'  SSLEngine on',
		`  SSLCertificateFile ${dir}/server.pem`,
		`  SSLCertificateKeyFile ${dir}/server.key`,
		`  ProxyPass / ${options.serviceUrl}/`,
		'</VirtualHost>',
		`OIDCOAuthVerifyJwksUri https://127.0.0.1:${tlsPort}/.well-known/jwks.json`,
		`OIDCCABundlePath ${certificates.caFile}`,
		'OIDCOAuthRemoteUserClaim sub',
		'OIDCCacheType shm',
		// Encrypts the module's cache entries; a throwaway value for a throwaway gateway.
		'OIDCCryptoPassphrase test-gateway-cache',
		`<VirtualHost 127.0.0.1:${port}>`,
		'  <Location />',
		'    AuthType oauth20',
		`    Require claim aud:${options.audience}`,
		`    ProxyPass ${options.endpointUrl}/`,
		'  </Location>',
		'</VirtualHost>',
	].join('\n');
	writeFileSync(join(dir, 'httpd.conf'), `${config}\n`);
	const httpd: ChildProcess = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	httpd.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (httpd.exitCode !== null) {
			throw new Error(`Apache did not start: ${stderr}`);
		}
		// Any answer (401: no token) means it is listening.
		const ready = await fetch(url).then(
			() => true,
			() => false,
		);
		if (ready) {
			break;
		}
		if (Date.now() > deadline) {
			httpd.kill('SIGKILL');
			throw new Error(`Apache did not answer within 10 s: ${stderr}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
	return {
		url,
		errorLog,
		async close() {
			const exited = new Promise((resolve) => httpd.once('exit', resolve));
			// Stopped at once, not gracefully: nothing it serves needs finishing.
			httpd.kill('SIGTERM');
			await exited;
			certificates.cleanup();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
