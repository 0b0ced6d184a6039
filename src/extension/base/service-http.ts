import type { FetchFunction } from '../../client';

/** The policy service's base URL and a fetch bound to the extension's one dispatcher. */
export interface ServiceConnection {
	readonly serverUrl: string;
	readonly fetch: FetchFunction;
}

export class ServiceUnreachableError extends Error {
	override readonly name = 'ServiceUnreachableError';
}

export async function serviceFetch(connection: ServiceConnection, path: string, init: RequestInit = {}): Promise<Response> {
	try {
		return await connection.fetch(`${connection.serverUrl.replace(/\/+$/, '')}${path}`, init);
	} catch (error) {
		if ((error as Error).name === 'AbortError') {
			throw error;
		}
		const cause = (error as { cause?: { code?: string; message?: string } }).cause;
		throw new ServiceUnreachableError(`cannot reach the policy service at ${connection.serverUrl} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
	}
}

export function formBody(fields: Record<string, string>): RequestInit {
	return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}
