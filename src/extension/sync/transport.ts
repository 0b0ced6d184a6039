import type { EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import {
	etagOf,
	HEARTBEAT_HEADER,
	SCHEMA_HEADER,
	SCHEMA_VERSION,
	type PolicyDocument,
	type PolicyTrust,
	type UsageReport,
	type UsageStanding,
	UsageStandingSchema,
	PlacementSchema,
	type Placement,
} from '../../policy';
import { readServiceJson, serviceFetch, ServiceHttpError, type AnswerSchema, type ServiceConnection } from '../base/service-http';

/** A signed-in member as the sync engine sees them. */
export interface SyncSession {
	readonly connection: ServiceConnection;
	readonly trust: PolicyTrust;
	accessToken(): Promise<string | undefined>;
	/** After a 401: true when a refreshed token is ready, false when the member is signed out. */
	refresh(): Promise<boolean>;
}

export type PolicyAnswer = { kind: 'signed-out' } | { kind: 'unchanged' } | { kind: 'policy'; envelope: unknown };
export type EventsAnswer =
	| { kind: 'signed-out' }
	| { kind: 'unsupported' }
	/** The events, and the interval within which the service promises a heartbeat (when it says). */
	| { kind: 'stream'; events: AsyncIterable<EventSourceMessage>; heartbeatMs: number | undefined };

/**
 * The member's side of the policy API: each call brings the access token, refreshes it once after
 * a 401, and says "signed out" when no token is left. Network failures throw
 * `ServiceUnreachableError`; unexpected answers throw `ServiceHttpError`.
 */
export class PolicyTransport {
	constructor(private readonly session: SyncSession) {}

	refresh(): Promise<boolean> {
		return this.session.refresh();
	}

	private async authorized(path: string, init: RequestInit, signal: AbortSignal): Promise<Response | undefined> {
		for (let retried = false; ; retried = true) {
			const token = await this.session.accessToken();
			if (!token) {
				return undefined;
			}
			// Every request says which policy schema versions this member understands.
			const headers = {
				...(init.headers as Record<string, string> | undefined),
				authorization: `Bearer ${token}`,
				[SCHEMA_HEADER]: String(SCHEMA_VERSION),
			};
			const response = await serviceFetch(this.session.connection, path, { ...init, signal, headers });
			if (response.status !== 401) {
				return response;
			}
			await response.body?.cancel();
			if (retried || !(await this.session.refresh())) {
				return undefined;
			}
		}
	}

	/** GET /api/v1/policy, conditional on the applied live document. */
	async policy(applied: PolicyDocument | undefined, signal: AbortSignal): Promise<PolicyAnswer> {
		const conditional: Record<string, string> = applied
			? { 'if-none-match': etagOf(applied.revision, applied.schemaVersion, applied.appliedOverlays) }
			: {};
		const response = await this.authorized('/api/v1/policy', { headers: conditional }, signal);
		if (!response) {
			return { kind: 'signed-out' };
		}
		if (response.status === 304) {
			return { kind: 'unchanged' };
		}
		if (!response.ok) {
			throw await ServiceHttpError.from(response, 'GET /api/v1/policy');
		}
		return { kind: 'policy', envelope: await readServiceJson(response, 'GET /api/v1/policy') };
	}

	/** The event stream, parsed by eventsource-parser; `unsupported` where a proxy or old service has none. */
	async events(lastEventId: number | undefined, signal: AbortSignal, onComment?: () => void): Promise<EventsAnswer> {
		const headers = { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': String(lastEventId) } : {}) };
		const response = await this.authorized('/api/v1/policy/events', { headers }, signal);
		if (!response) {
			return { kind: 'signed-out' };
		}
		if (
			[404, 405, 501].includes(response.status) ||
			(response.ok && !response.headers.get('content-type')?.startsWith('text/event-stream'))
		) {
			await response.body?.cancel();
			return { kind: 'unsupported' };
		}
		if (!response.ok) {
			throw await ServiceHttpError.from(response, 'the policy event stream');
		}
		if (!response.body) {
			throw new ServiceHttpError(response.status, `the policy event stream answered ${response.status} without a body`);
		}
		const events = response.body
			.pipeThrough(new TextDecoderStream())
			.pipeThrough(new EventSourceParserStream(onComment ? { onComment } : {}));
		const heartbeatSeconds = Number(response.headers.get(HEARTBEAT_HEADER));
		return { kind: 'stream', events, heartbeatMs: heartbeatSeconds > 0 ? heartbeatSeconds * 1000 : undefined };
	}

	/** POST /api/v1/policy/applied; false when signed out. */
	async reportApplied(revision: number, signal: AbortSignal): Promise<boolean> {
		const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ revision }) };
		const response = await this.authorized('/api/v1/policy/applied', init, signal);
		if (!response) {
			return false;
		}
		if (!response.ok) {
			throw await ServiceHttpError.from(response, 'POST /api/v1/policy/applied');
		}
		await response.body?.cancel();
		return true;
	}

	/**
	 * POST /api/v1/usage: `taken` (also when the service had counted this report before), `refused`
	 * when the service will never take it (400, 413), `signed-out`. A busy or failing service throws.
	 */
	async reportUsage(
		report: UsageReport,
		signal: AbortSignal,
	): Promise<{ kind: 'taken' } | { kind: 'refused'; reason: string } | { kind: 'signed-out' }> {
		const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) };
		const response = await this.authorized('/api/v1/usage', init, signal);
		if (!response) {
			return { kind: 'signed-out' };
		}
		if (response.ok) {
			await response.body?.cancel().catch(() => undefined);
			return { kind: 'taken' };
		}
		const error = await ServiceHttpError.from(response, 'POST /api/v1/usage');
		if (response.status === 400 || response.status === 413) {
			return { kind: 'refused', reason: error.message };
		}
		throw error;
	}

	/** GET /api/v1/usage/standing: the member's tokens this month against their allowance; undefined when signed out. */
	usageStanding(signal: AbortSignal): Promise<UsageStanding | undefined> {
		return this.getJson('/api/v1/usage/standing', UsageStandingSchema, signal);
	}

	/** GET /api/v1/policy/placement: the member's groups, overlays and any rollout; undefined when signed out. */
	placement(signal: AbortSignal): Promise<Placement | undefined> {
		return this.getJson('/api/v1/policy/placement', PlacementSchema, signal);
	}

	/** A member's GET of a JSON answer, checked by its schema; undefined when signed out. */
	private async getJson<T>(path: string, schema: AnswerSchema<T>, signal: AbortSignal): Promise<T | undefined> {
		const response = await this.authorized(path, {}, signal);
		if (!response) {
			return undefined;
		}
		if (!response.ok) {
			throw await ServiceHttpError.from(response, `GET ${path}`);
		}
		return readServiceJson(response, `GET ${path}`, schema);
	}

	/** POST /api/v1/policy/vscode-settings: what this VS Code's utility-model settings hold; false when signed out. */
	async reportVsCodeSettings(
		values: { supported: boolean; utilityModel: string | null; utilitySmallModel: string | null },
		signal: AbortSignal,
	): Promise<boolean> {
		const response = await this.authorized(
			'/api/v1/policy/vscode-settings',
			{ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(values) },
			signal,
		);
		if (!response) {
			return false;
		}
		if (!response.ok) {
			throw await ServiceHttpError.from(response, 'POST /api/v1/policy/vscode-settings');
		}
		await response.body?.cancel();
		return true;
	}
}
