import assert from 'node:assert/strict';

/**
 * A step in the workbench driven in Chromium by the world's control server (`/ui-…` routes):
 * its answer, or undefined on a host with no page to drive (the Electron host).
 */
export function workbenchDriver(control: string) {
	return async <T extends object>(path: string, body: unknown): Promise<T | undefined> => {
		const result = (await (await fetch(`${control}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as T & {
			skipped?: string;
			ok?: boolean;
			detail?: string;
		};
		if (result.skipped) {
			return undefined;
		}
		assert.equal(result.ok, true, result.detail);
		return result;
	};
}
