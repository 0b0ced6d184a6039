import assert from 'node:assert/strict';
import { createDispatcher, fetchThrough, type FetchFunction } from '../../src/client';
import { isServiceUnanswered, isServiceUnreachable } from '../../src/extension/base/service-http';
import { PolicyTransport } from '../../src/extension/sync/transport';
import { FakeEndpoint, makeTestCertificates } from '../support/fake-endpoint';
import { validSettings } from '../support/policy-fixtures';
import { storeOutOfReach } from '../support/store-outage';
import { ADMIN, putPolicy, startService, type RunningService } from '../support/service';
import { startInTheWay } from '../support/in-the-way';

/** The member's real transport, signed in as `token`, against the service (or anything else) at `serverUrl`. */
function transportFor(serverUrl: string, token: string, fetch: FetchFunction = globalThis.fetch): PolicyTransport {
	return new PolicyTransport({
		connection: { serverUrl, fetch },
		trust: { signingKey: { keyId: 'k', publicKey: 'x' } as never, organizationId: 'acme' },
		accessToken: async () => token,
		refresh: async () => false,
	});
}

const signal = () => AbortSignal.timeout(5000);

describe("the member's transport says why the service refused, in the service's words", () => {
	let service: RunningService;
	let member: string;
	const outage = { now: false };

	before(async () => {
		service = await startService({ wrapStore: (store) => storeOutOfReach(store, outage, new Set(['groupsOf'])) });
		await service.addUser('dev@acme.example', 'member');
		member = (await service.signIn('dev@acme.example')).access_token;
	});
	after(() => service.close());

	it("says the policy service's certificate is not trusted (not that the member is offline), and how to trust it", async () => {
		const certs = makeTestCertificates();
		const selfSigned = await FakeEndpoint.start({ tls: { key: certs.selfSignedKey, cert: certs.selfSignedCert } });
		const signedByCa = await FakeEndpoint.start({ tls: { key: certs.key, cert: certs.cert } });
		try {
			const failure = await transportFor(selfSigned.url, member, fetchThrough(createDispatcher()))
				.policy(undefined, signal())
				.then(
					() => assert.fail('an untrusted certificate was accepted'),
					(error: unknown) => error as Error,
				);
			assert.equal(failure.name, 'ServiceCertificateError');
			assert.match(
				failure.message,
				/^the certificate of the policy service at https:\/\/127\.0\.0\.1:\d+ is not trusted on this machine \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. If your organization inspects TLS, add its root certificate with the "orgProviderPolicy\.http\.caCertificates" setting or NODE_EXTRA_CA_CERTS\.$/,
			);
			// Policy sync reports the member "offline" only for what isServiceUnreachable says.
			assert.equal(isServiceUnreachable(failure), false, 'the network is there: not offline');
			assert.equal(isServiceUnanswered(failure), true, 'nothing to sign the member out for');
			// Trusted through the setting's CA file, the handshake passes (the fake then answers as no policy service would).
			const trusted = await transportFor(signedByCa.url, member, fetchThrough(createDispatcher({ caFiles: [certs.caFile] })))
				.policy(undefined, signal())
				.catch((error: unknown) => error as Error);
			assert.notEqual((trusted as Error).name, 'ServiceCertificateError', String(trusted));
			assert.ok(
				signedByCa.requests.some((request) => request.path === '/api/v1/policy'),
				'the request reached the server',
			);
		} finally {
			await selfSigned.close();
			await signedByCa.close();
			certs.cleanup();
		}
	});

	it('on every call a member makes, not only the event stream', async () => {
		const transport = transportFor(service.url, member);
		// The database out of reach: the placement is refused with the service's sentence, the policy still served.
		outage.now = true;
		try {
			await assert.rejects(transport.placement(signal()), {
				name: 'ServiceHttpError',
				status: 503,
				message: 'GET /api/v1/policy/placement answered 503: the service cannot reach its database right now; try again shortly',
			});
			assert.equal((await transport.policy(undefined, signal())).kind, 'policy');
		} finally {
			outage.now = false;
		}
		const admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		await assert.rejects(transport.reportApplied(99, signal()), {
			status: 400,
			message: 'POST /api/v1/policy/applied answered 400: revision: 99 does not exist yet (newest is 2)',
		});
		assert.equal(await transport.reportApplied(2, signal()), true, 'an answer the service takes is no error');
		const refused = await transport.reportUsage({ hours: 'not a list' } as never, signal());
		assert.equal(refused.kind, 'refused');
		assert.match(refused.kind === 'refused' ? refused.reason : '', /^POST \/api\/v1\/usage answered 400: \S.*/);
	});

	it("adds nothing from a body that is not the service's: a proxy's error page is no sentence", async () => {
		const proxy = await startInTheWay({
			status: 502,
			type: 'text/html',
			body: '<html><body><h1>502 Bad Gateway</h1><script>alert(1)</script></body></html>',
		});
		try {
			const { url } = proxy;
			await assert.rejects(transportFor(url, member).policy(undefined, signal()), {
				status: 502,
				message: 'GET /api/v1/policy answered 502',
			});
		} finally {
			await proxy.close();
		}
	});

	it("says a network sign-in page is in the way when it answers 200 with HTML in the service's place", async () => {
		// A captive portal or an authenticating proxy: 200, its own page, for any address.
		const portal = await startInTheWay({
			status: 200,
			type: 'text/html; charset=utf-8',
			body: '<html><body><form>Sign in to the guest network</form></body></html>',
		});
		try {
			const transport = transportFor(portal.url, member);
			const inTheWay = (what: string) => ({
				name: 'ServiceHttpError',
				status: 200,
				message: `${what} answered 200 with a page (text/html), not the policy service's answer: a proxy or a network sign-in page may be in the way`,
			});
			await assert.rejects(transport.policy(undefined, signal()), inTheWay('GET /api/v1/policy'));
			await assert.rejects(transport.placement(signal()), inTheWay('GET /api/v1/policy/placement'));
		} finally {
			await portal.close();
		}
	});
});
