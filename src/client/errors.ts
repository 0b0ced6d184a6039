import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { MissingCredentialError, type CredentialSource } from './credentials';
import { explainTokenRefusal } from './token-refusal';
import type { EffectiveProvider } from './effective-provider';
import { planEndpoint } from './endpoint';
import { causeCode, causes } from './cause-chain';
import { forwardingProxyFailure, proxyFailure } from './proxy-failure';
import { ChatRequestError } from './request-error';
import { TRUST_ADVICE, untrustedCertificateCode } from './tls-codes';

export { ChatRequestError, isChatRequestError, type FailureKind } from './request-error';

const UNREACHABLE_CODES = new Set([
	'ENOTFOUND',
	'EAI_AGAIN',
	'ECONNREFUSED',
	'ECONNRESET',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Azure's answer when a Chat Completions request reaches a model only the Responses API serves (codex models). */
const CHAT_OPERATION_REFUSED = /chatCompletion operation does not work with the specified model/i;

/** The api-version requests carry, as the endpoint plan works it out (one pasted into a classic URL included). */
function azureVersion(provider: EffectiveProvider): string {
	try {
		const plan = planEndpoint(provider);
		return plan.style === 'azure-deployments' ? plan.apiVersion : (plan.query['api-version'] ?? 'v1 API');
	} catch {
		return provider.azure?.apiVersion ?? 'none';
	}
}

/** What the endpoint said, without the status the SDK puts in front of it. */
function serverMessage(error: InstanceType<typeof APIError>): string {
	const said = (error.error as { message?: unknown } | undefined)?.message;
	return typeof said === 'string' && said ? said : error.message.replace(/^\d{3}\s+/, '');
}

/** Turns a failure into the sentence a member needs (the admin guide's troubleshooting); `model` when one request's. */
export function explainFailure(
	error: unknown,
	provider: EffectiveProvider,
	credentialSource: CredentialSource,
	proxy?: string,
	owner?: string,
	model?: string,
): ChatRequestError {
	const host = new URL(provider.baseUrl).host;
	const credential = credentialSource.kind;
	// Where the organization set the endpoint, the member cannot check the Base URL: say who can.
	const baseUrlAdvice = owner ? `the endpoint is set by ${owner}` : 'check the Base URL';
	const networkAdvice = owner
		? `Check your firewall and proxy settings (http.proxy); the endpoint itself is set by ${owner}`
		: 'Check the Base URL, your firewall and proxy settings (http.proxy)';
	if (error instanceof ChatRequestError) {
		return error;
	}
	if (error instanceof MissingCredentialError) {
		return new ChatRequestError('missing-key', `${error.message} Run "Org Provider Policy: Set API Key".`);
	}
	const signIn = causes(error).find((cause) => cause instanceof Error && cause.name === 'SignInRequiredError');
	if (signIn) {
		// The SDK wraps a token provider's failure in its own error; the member needs only ours.
		return new ChatRequestError('sign-in', (signIn as Error).message);
	}
	if (error instanceof APIError && error.status !== undefined) {
		const status = error.status;
		const forwarded = forwardingProxyFailure(error, provider, host, proxy, baseUrlAdvice);
		if (forwarded) {
			return forwarded;
		}
		if (status === 401 && credential === 'entra') {
			return new ChatRequestError(
				'azure-role',
				`${host} refused your Entra ID token (401). Check that you signed in to the right tenant, and that your account has the Cognitive Services OpenAI User role on the Azure OpenAI resource.`,
				status,
			);
		}
		if (status === 401 && credentialSource.kind === 'organization-token') {
			// A fresh token may pass where this one did not (it expired on the way, or the key rotated).
			const facts = credentialSource.facts();
			credentialSource.discard();
			const challenge = error.headers?.get('www-authenticate');
			return new ChatRequestError('token-rejected', explainTokenRefusal(host, facts, challenge, Date.now(), owner), status);
		}
		if (status === 401 && credential === 'none') {
			return new ChatRequestError(
				'forbidden',
				`${host} asked for credentials (401), but your organization's policy sends no member key to it: tell your admin that the endpoint refuses the policy's own headers.`,
				status,
			);
		}
		if (status === 408) {
			return new ChatRequestError(
				'timeout',
				`${host} gave up waiting for the request (408): try again; if it keeps happening, the network between you and the endpoint is slow.`,
				status,
			);
		}
		if (status === 401) {
			return new ChatRequestError(
				'key-rejected',
				`${host} rejected your API key (401). Check the key, or set a new one with "Org Provider Policy: Set API Key".`,
				status,
			);
		}
		if (status === 403 && credential === 'entra') {
			return new ChatRequestError(
				'azure-role',
				`Your account is signed in but lacks a role on the Azure OpenAI resource at ${host} (403). Ask your admin to assign you the Cognitive Services OpenAI User role.`,
				status,
			);
		}
		if (status === 403) {
			return new ChatRequestError(
				'forbidden',
				`${host} refused the request (403): the key may lack access to this resource, or the resource's network rules block this machine.`,
				status,
			);
		}
		const forModel = model ? ` for the model ${model}` : '';
		if (status === 404 && provider.azure) {
			return new ChatRequestError(
				'not-found',
				`${host} answered 404${forModel}: the deployment name or the api-version (${azureVersion(provider)}) does not match the resource. ${owner ? `The policy's deployment names or Azure API Version need fixing: tell ${owner}.` : "Check the model/deployment name and the policy's Azure API Version."}`,
				status,
			);
		}
		if (status === 404) {
			return new ChatRequestError(
				'not-found',
				owner
					? `${host} answered 404${forModel || ' for this model'}: ${baseUrlAdvice}, who can check the endpoint and its models.`
					: `${host} answered 404${forModel}: check the Base URL (OpenAI-compatible servers usually end in /v1) and the model name.`,
				status,
			);
		}
		if (status === 429) {
			const retryAfter = error.headers?.get('retry-after');
			const wait = retryAfter && /^\d+$/.test(retryAfter) ? `wait ${retryAfter} s` : 'wait a moment';
			return new ChatRequestError('rate-limited', `${host} is rate-limiting requests (429); ${wait} and try again.`, status);
		}
		if (status >= 500) {
			return new ChatRequestError(
				'server-error',
				`${host} failed with ${status}; the endpoint has a problem, try again later or tell your admin.`,
				status,
			);
		}
		// The SDK's message starts with the status; the member reads it once.
		const said = serverMessage(error);
		if (status === 400 && (error.code === 'OperationNotSupported' || CHAT_OPERATION_REFUSED.test(said))) {
			return new ChatRequestError(
				'wrong-api',
				`${model ?? 'This model'} is served only by the Responses API: the admin should switch its API to "Responses" in the console's model settings${owner ? ` (tell ${owner})` : ''}.`,
				status,
			);
		}
		if (status === 400 && error.param && (error.code === 'unsupported_parameter' || error.code === 'unsupported_value')) {
			return new ChatRequestError(
				'unsupported-parameter',
				`${host} refused the request parameter ${error.param}${model ? ` for ${model}` : ''} (${error.code}): ${said}`,
				status,
			);
		}
		return new ChatRequestError('bad-response', `${host} answered ${status}: ${said}`, status);
	}
	if (error instanceof APIError && !(error instanceof APIConnectionError)) {
		// An error the endpoint reported inside a stream it had begun (an `error` frame): its own words.
		return new ChatRequestError('server-error', `${host} reported an error while answering: ${serverMessage(error)}`);
	}
	const code = causeCode(error);
	const interrupted = causes(error).some((cause) => cause instanceof Error && cause.name === 'StreamInterruptedError');
	if (interrupted) {
		return code === 'UND_ERR_BODY_TIMEOUT'
			? new ChatRequestError(
					'timeout',
					`${host} stopped sending the answer part-way (nothing arrived for too long): the answer is incomplete; try again.`,
				)
			: new ChatRequestError(
					'interrupted',
					`The connection to ${host} was cut while the answer was arriving${code ? ` (${code})` : ''}: the answer is incomplete; try again.`,
				);
	}
	const viaProxy = proxyFailure(error, host, proxy, baseUrlAdvice);
	if (viaProxy) {
		return viaProxy;
	}
	if (code === 'UND_ERR_HEADERS_TIMEOUT') {
		return new ChatRequestError(
			'timeout',
			`${host} accepted the request but did not answer in time: the endpoint may be overloaded; try again, or tell your admin if it keeps happening.`,
		);
	}
	if (error instanceof APIConnectionTimeoutError || (code && TIMEOUT_CODES.has(code))) {
		return new ChatRequestError(
			'timeout',
			`${host} did not answer in time: ${networkAdvice.charAt(0).toLowerCase()}${networkAdvice.slice(1)}.`,
		);
	}
	const untrusted = untrustedCertificateCode(error);
	if (untrusted) {
		return new ChatRequestError('tls', `The certificate of ${host} is not trusted (${untrusted}). ${TRUST_ADVICE}`);
	}
	if (error instanceof APIConnectionError || (code && UNREACHABLE_CODES.has(code))) {
		return new ChatRequestError(
			'unreachable',
			`Cannot reach ${host}${code ? ` (${code})` : ''}: the endpoint is unreachable from this machine. ${networkAdvice}.`,
		);
	}
	return new ChatRequestError('bad-response', `Request to ${host} failed: ${error instanceof Error ? error.message : String(error)}`);
}
