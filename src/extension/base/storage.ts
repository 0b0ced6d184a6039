import type { IDisposable } from './disposable';

/** The slice of VS Code's `SecretStorage` the extension uses; an in-memory double serves the tests. */
export interface SecretStore {
	get(key: string): PromiseLike<string | undefined>;
	store(key: string, value: string): PromiseLike<void>;
	delete(key: string): PromiseLike<void>;
	/** Fires for changes made by this window and by every other window of the same profile. */
	onDidChange(listener: (event: { key: string }) => void): IDisposable;
}

/** The slice of VS Code's `Memento` (global state) the extension uses. */
export interface KeyValueStore {
	get<T>(key: string): T | undefined;
	update(key: string, value: unknown): PromiseLike<void>;
}

/** Global state whose keys can be listed (VS Code's `Memento.keys`). */
export interface ListedKeyValueStore extends KeyValueStore {
	keys(): readonly string[];
}
