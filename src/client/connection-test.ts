import type { CredentialSource } from './credentials';
import type { ChatRequestError, FailureKind } from './errors';
import { isPlainHttpBeyondLoopback, withoutQuery } from '../policy/url-rules';
import { azureOpenAiStylePath, looksLikeAzureHost, type EndpointPlan } from './endpoint';
import type { EffectiveProvider } from './effective-provider';

/** One model's answer to a one-token chat request. */
export interface ModelProbe {
	model: string;
	ok: boolean;
	/** Why it did not answer, as the member is told. */
	message?: string;
	kind?: FailureKind;
	status?: number;
}

export interface ConnectionReport {
	ok: boolean;
	kind?: FailureKind;
	/** The sentence the member needs, with the next step. */
	message: string;
	endpoint: string;
	status?: number;
	/** Header names sent, values masked. */
	headersSent: Record<string, string>;
	models?: string[];
	/** The model listing on its own: an endpoint may not offer one, which a policy's list makes harmless. */
	listing: { ok: boolean; message: string };
	/** A real chat request (one token) to each model members may use. */
	chats: ModelProbe[];
	warnings: string[];
}

/** What Test Connection needs of a client: the listing and a one-token chat request. */
export interface ProbeTarget {
	readonly plan: EndpointPlan;
	listModels(): Promise<string[]>;
	probe(model: string): Promise<void>;
	/** The member's sentence for a failure (the client's own explanation, proxy included). */
	explain(error: unknown): ChatRequestError;
}

/** Models probed at once: enough to be quick, few enough not to trip an endpoint's rate limit. */
const PROBES_AT_ONCE = 4;

function maskedHeaders(provider: EffectiveProvider, plan: EndpointPlan, credential: CredentialSource): Record<string, string> {
	const sent = Object.fromEntries(Object.keys(provider.headers).map((name) => [name, '••••••']));
	if (credential.kind === 'api-key') {
		sent[plan.style === 'openai' ? 'Authorization' : 'api-key'] = '•••••• (your API key)';
	} else if (credential.kind === 'entra') {
		sent.Authorization = 'Bearer •••••• (Entra ID token)';
	} else if (credential.kind === 'organization-token') {
		sent[credential.header] = `${credential.header.toLowerCase() === 'authorization' ? 'Bearer ' : ''}•••••• (organization token)`;
	}
	return sent;
}

async function probeAll(target: ProbeTarget, models: string[]): Promise<ModelProbe[]> {
	const results: ModelProbe[] = new Array(models.length);
	let next = 0;
	const worker = async () => {
		for (let index = next++; index < models.length; index = next++) {
			const model = models[index]!;
			try {
				await target.probe(model);
				results[index] = { model, ok: true };
			} catch (error) {
				const explained = target.explain(error);
				results[index] = {
					model,
					ok: false,
					message: explained.message,
					kind: explained.kind,
					...(explained.status ? { status: explained.status } : {}),
				};
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, models.length) }, worker));
	return results;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * Test Connection: lists models, then sends a one-token chat request to every model the policy
 * allows (or the selected one, where the endpoint's list is used), and reports each part on its own —
 * so a broken listing, a missing deployment or a refused key is named, never hidden behind "Connected".
 */
export async function testConnection(
	target: ProbeTarget,
	provider: EffectiveProvider,
	credential: CredentialSource,
	selected?: string,
): Promise<ConnectionReport> {
	const base = {
		// Origin and path only: a gateway may carry a key in the query (Azure Functions' code=…).
		endpoint: withoutQuery(target.plan.baseURL),
		headersSent: maskedHeaders(provider, target.plan, credential),
		warnings: [
			...(!provider.azure && looksLikeAzureHost(provider.baseUrl) && !azureOpenAiStylePath(provider.baseUrl)
				? [
						'The Base URL is an Azure OpenAI host but the policy has no Azure settings: requests use the plain OpenAI path and key header, which Azure may refuse. Ask your admin to turn on the Azure options.',
					]
				: []),
			...(isPlainHttpBeyondLoopback(provider.baseUrl)
				? [`${new URL(provider.baseUrl).host} is reached over plain HTTP: your key and prompts cross the network unencrypted.`]
				: []),
		],
	};
	const host = new URL(provider.baseUrl).host;
	const allowed = provider.models?.allowed;
	let listed: string[] | undefined;
	let listing: ConnectionReport['listing'];
	try {
		listed = await target.listModels();
		listing = { ok: true, message: `The endpoint lists ${plural(listed.length, 'model')}.` };
	} catch (error) {
		const explained = target.explain(error);
		listing = {
			ok: false,
			message:
				allowed && explained.kind === 'not-found'
					? "The endpoint does not list models (404); the policy's model list is used."
					: explained.message,
		};
		if (!allowed) {
			// Nothing to choose from, and nothing else to try.
			return {
				...base,
				ok: false,
				kind: explained.kind,
				message: explained.message,
				listing,
				chats: [],
				...(explained.status ? { status: explained.status } : {}),
			};
		}
	}
	const models = allowed ?? listed ?? [];
	const chats = await probeAll(
		target,
		allowed ?? [selected && models.includes(selected) ? selected : models[0]].filter((model): model is string => Boolean(model)),
	);
	const failed = chats.filter((probe) => !probe.ok);
	const answered = chats.filter((probe) => probe.ok).map((probe) => probe.model);
	const first = failed[0];
	const listingNote = listing.ok || listing.message === first?.message ? '' : ` ${listing.message}`;
	if (chats.length > 0 && failed.length === 0) {
		const who = chats.length === 1 ? `${answered[0]} answered` : `all ${chats.length} models answered`;
		return { ...base, ok: true, message: `Connected to ${host}: ${who} a test request.${listingNote}`, models, listing, chats };
	}
	const message = !first
		? `Connected to ${host}, but it lists no model to send a test request to.`
		: failed.length === chats.length
			? first.message!
			: `${failed.map((probe) => probe.model).join(', ')} did not answer: ${first.message} (${answered.join(', ')} did.)`;
	return {
		...base,
		ok: false,
		...(first?.kind ? { kind: first.kind } : {}),
		...(first?.status ? { status: first.status } : {}),
		message: `${message}${listingNote}`,
		models,
		listing,
		chats,
	};
}
