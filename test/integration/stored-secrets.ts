/**
 * Where a member's VS Code keeps what extensions store, searched for one value: the workbench's
 * global state (VS Code's web build keeps it in the browser's IndexedDB, `vscode-web-state-db-*`,
 * table `ItemTable`), the browser's local storage, and every file under the host's home (settings,
 * logs, the server's own state).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Runs in the workbench's page (as source: this project's types are Node's, not the DOM's). Every
 * `vscode-web-state-db-*` database's `ItemTable` and every local storage entry holding the needle.
 */
const SEARCH_BROWSER_STORAGE = `async (needle) => {
	const found = [];
	const request = (run) => new Promise((resolve, reject) => {
		run.onsuccess = () => resolve(run.result);
		run.onerror = () => reject(run.error);
	});
	const names = (await indexedDB.databases()).map((database) => database.name ?? '').filter((name) => name.startsWith('vscode-web-state-db-'));
	for (const name of names) {
		const database = await request(indexedDB.open(name));
		try {
			if (!database.objectStoreNames.contains('ItemTable')) continue;
			const table = database.transaction('ItemTable').objectStore('ItemTable');
			const [keys, values] = await Promise.all([request(table.getAllKeys()), request(table.getAll())]);
			values.forEach((value, index) => {
				if ((typeof value === 'string' ? value : JSON.stringify(value)).includes(needle)) found.push(name + '/' + String(keys[index]));
			});
		} finally {
			database.close();
		}
	}
	for (let index = 0; index < localStorage.length; index++) {
		const key = localStorage.key(index) ?? '';
		if ((localStorage.getItem(key) ?? '').includes(needle)) found.push('localStorage/' + key);
	}
	return found;
}`;

/** Where `needle` is stored in the workbench's browser storage, as `database/key` or `localStorage/key`. */
export async function browserStorageHolding(page: Page, needle: string): Promise<string[]> {
	return (await page.evaluate(`(${SEARCH_BROWSER_STORAGE})(${JSON.stringify(needle)})`)) as string[];
}

/** The files under `dir` that hold `needle`, relative to it. */
export function filesHolding(dir: string, needle: string): string[] {
	const bytes = Buffer.from(needle);
	return readdirSync(dir, { withFileTypes: true, recursive: true })
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name))
		.filter((file) => readFileSync(file).includes(bytes))
		.map((file) => relative(dir, file));
}
