import assert from 'node:assert/strict';
import { Emitter, type IDisposable } from '../../src/extension/base/disposable';
import type { ListedKeyValueStore, SecretStore } from '../../src/extension/base/storage';

/** VS Code's SecretStorage in memory; `setFromAnotherWindow` plays a change made elsewhere. */
export class MemorySecretStore implements SecretStore {
	readonly values = new Map<string, string>();
	private readonly changed = new Emitter<{ key: string }>();

	async get(key: string): Promise<string | undefined> {
		return this.values.get(key);
	}

	async store(key: string, value: string): Promise<void> {
		this.values.set(key, value);
		this.changed.fire({ key });
	}

	async delete(key: string): Promise<void> {
		this.values.delete(key);
		this.changed.fire({ key });
	}

	onDidChange(listener: (event: { key: string }) => void): IDisposable {
		return this.changed.event(listener);
	}

	keys(): string[] {
		return [...this.values.keys()];
	}
}

/** VS Code's Memento (global state) in memory, with values copied as VS Code serializes them. */
export class MemoryKeyValueStore implements ListedKeyValueStore {
	readonly values = new Map<string, string>();

	get<T>(key: string): T | undefined {
		const value = this.values.get(key);
		return value === undefined ? undefined : (JSON.parse(value) as T);
	}

	async update(key: string, value: unknown): Promise<void> {
		if (value === undefined) {
			this.values.delete(key);
		} else {
			this.values.set(key, JSON.stringify(value));
		}
	}

	keys(): string[] {
		return [...this.values.keys()];
	}
}

/**
 * Global state exactly as VS Code's `ExtensionMemento` keeps it: `get` hands back the stored object
 * itself, not a copy, until a write replaces it with the value read back from storage
 * (microsoft/vscode, src/vs/workbench/api/common/extHostMemento.ts). For code that relies on that
 * identity, and for benchmarks, which the copying store above would charge for copies VS Code does not make.
 */
export class MementoLikeVsCode implements ListedKeyValueStore {
	private readonly values = new Map<string, unknown>();

	get<T>(key: string): T | undefined {
		return this.values.get(key) as T | undefined;
	}

	async update(key: string, value: unknown): Promise<void> {
		if (value === undefined) {
			this.values.delete(key);
		} else {
			this.values.set(key, JSON.parse(JSON.stringify(value)));
		}
	}

	keys(): string[] {
		return [...this.values.keys()];
	}
}

/** Where PolicyCache keeps acme's last verified policy: secret storage (global state up to 0.2.x). */
export const ACME_CACHE_KEY = 'orgProviderPolicy.cache.acme';

/** Writes acme's cached policy as PolicyCache does, or deletes it (`undefined`). */
export async function setCachedPolicy(secrets: SecretStore, cached: { envelope: unknown; receivedAt: number } | undefined): Promise<void> {
	await (cached === undefined ? secrets.delete(ACME_CACHE_KEY) : secrets.store(ACME_CACHE_KEY, JSON.stringify(cached)));
}

/** Acme's cached policy as PolicyCache wrote it, a copy to alter. */
export async function cachedPolicy<T>(secrets: SecretStore): Promise<T> {
	const stored = await secrets.get(ACME_CACHE_KEY);
	assert.ok(stored !== undefined, 'a policy is cached in secret storage');
	return JSON.parse(stored) as T;
}

/**
 * A member's storage after they applied `revision` under `signingKey` for organization acme: the pin
 * and the signed envelope in secret storage (as PolicyCache writes them).
 */
export async function memberWhoApplied(
	revision: number,
	envelope: unknown,
	signingKey: unknown,
): Promise<{ memento: MemoryKeyValueStore; secrets: MemorySecretStore }> {
	const memento = new MemoryKeyValueStore();
	const secrets = new MemorySecretStore();
	await secrets.store('orgProviderPolicy.pin', JSON.stringify({ organizationId: 'acme', signingKey, highestRevision: revision }));
	await setCachedPolicy(secrets, { envelope, receivedAt: 1 });
	return { memento, secrets };
}
