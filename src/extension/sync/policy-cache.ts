import { PolicySigningKeySchema, verifySignedPolicy, type PolicyDocument, type PolicySigningKey, type PolicyTrust } from '../../policy';
import * as z from 'zod';
import type { ListedKeyValueStore, SecretStore } from '../base/storage';
import { CACHE_KEY_PREFIX, PIN_KEY, policyCacheKey, readCachedEnvelope, type CachedEnvelope } from './cache-keys';
import type { AppliedPolicy } from './state';

export const PinSchema = z.object({
	organizationId: z.string(),
	signingKey: PolicySigningKeySchema,
	highestRevision: z.number().int().nonnegative(),
	/** Keys this pin moved on from through endorsements: a session that still names one of them is not a new sign-in. */
	formerKeyIds: z.array(z.string()).default([]),
});

/**
 * The organization and key pinned at sign-in (or reached from it through endorsements when the
 * organization rotated its key), and the newest revision ever applied under them.
 */
export type Pin = z.infer<typeof PinSchema>;

/**
 * The last verified policy per organization, kept as the signed envelope in secret storage (its
 * header values may be secrets) and verified again whenever it is read, against a pin kept there
 * too. A cache that no longer verifies, or is older than what was applied before (a rollback), is
 * never applied. Earlier releases' copies in global state are moved to secret storage at start-up.
 */
export class PolicyCache {
	constructor(
		private readonly store: ListedKeyValueStore,
		private readonly secrets: SecretStore,
	) {}

	async pin(): Promise<Pin | undefined> {
		const raw = await this.secrets.get(PIN_KEY);
		const parsed = raw === undefined ? undefined : PinSchema.safeParse(JSON.parse(raw));
		return parsed?.success ? parsed.data : undefined;
	}

	/**
	 * A sign-in pins its organization and key and returns the trust to verify with: the pin as it is
	 * when the session's key is the pinned one or one it moved on from (a rotation already
	 * followed), else the session's key with a fresh applied mark.
	 */
	async rememberTrust(trust: PolicyTrust): Promise<PolicyTrust> {
		const previous = await this.pin();
		if (
			previous?.organizationId === trust.organizationId &&
			[previous.signingKey.keyId, ...previous.formerKeyIds].includes(trust.signingKey.keyId)
		) {
			return { organizationId: previous.organizationId, signingKey: previous.signingKey };
		}
		await this.write({ organizationId: trust.organizationId, signingKey: trust.signingKey, highestRevision: 0, formerKeyIds: [] });
		return trust;
	}

	/**
	 * Verifies a received envelope. When the organization rotated its key and the pinned key endorsed
	 * the one that signed, the new key is pinned (the applied mark kept) and returned as the trust.
	 * Throws `PolicyRejectedError`.
	 */
	async verifyFollowingRotation(envelope: unknown, trust: PolicyTrust): Promise<{ document: PolicyDocument; trust: PolicyTrust }> {
		const verified = verifySignedPolicy(envelope, trust);
		if (verified.signingKey.keyId === trust.signingKey.keyId) {
			return { document: verified.policy, trust };
		}
		await this.repin(verified.signingKey);
		return { document: verified.policy, trust: { organizationId: trust.organizationId, signingKey: verified.signingKey } };
	}

	private async repin(signingKey: PolicySigningKey): Promise<void> {
		const pin = await this.pin();
		if (pin && pin.signingKey.keyId !== signingKey.keyId) {
			await this.write({ ...pin, signingKey, formerKeyIds: [...pin.formerKeyIds, pin.signingKey.keyId] });
		}
	}

	/** Raises the mark: no revision below it will be applied again. */
	async markApplied(revision: number): Promise<void> {
		const pin = await this.pin();
		if (pin && revision > pin.highestRevision) {
			await this.write({ ...pin, highestRevision: revision });
		}
	}

	/** The cached policy, when it verifies against the trust and is not older than the mark. */
	async load(trust: PolicyTrust, highestRevision: number): Promise<AppliedPolicy | undefined> {
		const { cached } = await readCachedEnvelope(this.secrets, this.store, trust.organizationId);
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
		const cached: CachedEnvelope = { envelope, receivedAt };
		await this.secrets.store(policyCacheKey(organizationId), JSON.stringify(cached));
	}

	/**
	 * Every organization's copy an earlier release left in global state, moved to secret storage
	 * (where one is already, it is newer): none stays on disk in plain text, whichever organization
	 * the member was in before. Secret storage is written before global state is cleared, so a window
	 * reading meanwhile finds one of them.
	 */
	async moveEarlierCopies(): Promise<void> {
		for (const key of this.store.keys().filter((name) => name.startsWith(CACHE_KEY_PREFIX))) {
			const earlier = this.store.get<CachedEnvelope>(key);
			if (earlier !== undefined && (await this.secrets.get(key)) === undefined) {
				await this.secrets.store(key, JSON.stringify(earlier));
			}
			await this.store.update(key, undefined);
		}
	}

	private async write(pin: Pin): Promise<void> {
		await this.secrets.store(PIN_KEY, JSON.stringify(pin));
	}
}
