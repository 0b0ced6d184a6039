import { PolicySigningKeySchema, verifySignedPolicy, type PolicyTrust } from '../../policy';
import { z } from 'zod';
import type { KeyValueStore, SecretStore } from '../base/storage';
import type { AppliedPolicy } from './state';

const cacheKey = (orgId: string) => `orgProviderPolicy.cache.${orgId}`;
/** In secret storage: what the member's own disk cannot rewrite through settings or global state. */
const PIN_KEY = 'orgProviderPolicy.pin';

const PinSchema = z.object({ organizationId: z.string(), signingKey: PolicySigningKeySchema, highestRevision: z.number().int().nonnegative() });

/** The organization and key pinned at sign-in, and the newest revision ever applied under them. */
export type Pin = z.infer<typeof PinSchema>;

/**
 * The last verified policy per organization, kept as the signed envelope in global state and
 * verified again whenever it is read, against a pin kept in secret storage. A cache that no longer
 * verifies, or is older than what was applied before (a rollback), is never applied.
 */
export class PolicyCache {
	constructor(
		private readonly store: KeyValueStore,
		private readonly secrets: SecretStore,
	) {}

	async pin(): Promise<Pin | undefined> {
		const raw = await this.secrets.get(PIN_KEY);
		const parsed = raw === undefined ? undefined : PinSchema.safeParse(JSON.parse(raw));
		return parsed?.success ? parsed.data : undefined;
	}

	/** A sign-in pins its organization and key; the applied mark carries over only for the same pin. */
	async rememberTrust(trust: PolicyTrust): Promise<void> {
		const previous = await this.pin();
		const same = previous?.organizationId === trust.organizationId && previous.signingKey.keyId === trust.signingKey.keyId;
		await this.write({ organizationId: trust.organizationId, signingKey: trust.signingKey, highestRevision: same ? previous.highestRevision : 0 });
	}

	/** Raises the mark: no revision below it will be applied again. */
	async markApplied(revision: number): Promise<void> {
		const pin = await this.pin();
		if (pin && revision > pin.highestRevision) {
			await this.write({ ...pin, highestRevision: revision });
		}
	}

	/** The cached policy, when it verifies against the trust and is not older than the mark. */
	load(trust: PolicyTrust, highestRevision: number): AppliedPolicy | undefined {
		const cached = this.store.get<{ envelope: unknown; receivedAt: number }>(cacheKey(trust.organizationId));
		if (!cached) {
			return undefined;
		}
		try {
			const document = verifySignedPolicy(cached.envelope, trust).policy;
			return document.revision >= highestRevision ? { document, source: 'cached', receivedAt: cached.receivedAt } : undefined;
		} catch {
			return undefined;
		}
	}

	async save(organizationId: string, envelope: unknown, receivedAt: number): Promise<void> {
		await this.store.update(cacheKey(organizationId), { envelope, receivedAt });
	}

	private async write(pin: Pin): Promise<void> {
		await this.secrets.store(PIN_KEY, JSON.stringify(pin));
	}
}
