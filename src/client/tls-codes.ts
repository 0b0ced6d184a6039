import { causes } from './cause-chain';

/** Node's codes for a certificate this machine does not trust (or that names another host). */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'CERT_UNTRUSTED',
]);

/** The code of an untrusted certificate anywhere in the error's cause chain, if that is what failed. */
export function untrustedCertificateCode(error: unknown): string | undefined {
	for (const cause of causes(error)) {
		const code = (cause as { code?: unknown }).code;
		if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
			return code;
		}
	}
	return undefined;
}

/** What the member can do about it: the same advice for the endpoint and the policy service. */
export const TRUST_ADVICE =
	'If your organization inspects TLS, add its root certificate with the "orgProviderPolicy.http.caCertificates" setting or NODE_EXTRA_CA_CERTS.';
