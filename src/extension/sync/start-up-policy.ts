import { verifyCachedPolicy, type CachedPolicyDocument, type PrecompiledValidators } from '../../policy/precompiled-verification';
import type { KeyValueStore, SecretStore } from '../base/storage';
import { PIN_KEY, readCachedEnvelope } from './cache-keys';

// Imports stay off the policy index and zod: this module runs on the activation path.

export const CANNOT_VERIFY_MESSAGE =
	"cannot verify your organization's policy on this machine (its saved copy is missing or was altered): sign in or retry; no AI provider is used until it is verified";

/** The schema version the precompiled document validator was generated for. */
const PRECOMPILED_SCHEMA_VERSION = 3;

/** What the cache says at start-up, decided before the rest of the extension loads. */
export type StartUpPolicy =
	/** No organization was ever pinned on this machine. */
	| { readonly kind: 'none' }
	/** `highestRevision`: the pin's mark, below which no revision is applied again. */
	| { readonly kind: 'restored'; readonly document: CachedPolicyDocument; readonly receivedAt: number; readonly highestRevision: number }
	/** A key is pinned and a policy was applied under it, but no cached policy verifies: locked. */
	| { readonly kind: 'cannot-verify'; readonly organizationId: string; readonly highestRevision: number }
	/**
	 * The cache holds an older schema version (written by an earlier release), or a pin this check
	 * cannot read: the full check decides, before activation ends.
	 */
	| { readonly kind: 'needs-full-check' };

/**
 * The same decision as `PolicySync.restoreLastKnown`, with the precompiled validators instead of
 * zod: the pin from secret storage, the cached envelope verified against it, never a revision below
 * the highest one applied.
 */
export async function restoreAtStartUp(
	secrets: SecretStore,
	store: KeyValueStore,
	validators: PrecompiledValidators,
): Promise<StartUpPolicy> {
	const raw = await secrets.get(PIN_KEY);
	if (raw === undefined) {
		return { kind: 'none' };
	}
	let pin: unknown;
	try {
		pin = JSON.parse(raw);
	} catch {
		return { kind: 'needs-full-check' };
	}
	if (!validators.pin(pin)) {
		return { kind: 'needs-full-check' };
	}
	const { organizationId, signingKey, highestRevision } = pin as {
		organizationId: string;
		signingKey: { alg: 'Ed25519'; keyId: string; publicKey: string };
		highestRevision: number;
	};
	const { cached, legacy } = await readCachedEnvelope(secrets, store, organizationId);
	const version = (cached?.envelope as { policy?: { schemaVersion?: unknown } } | undefined)?.policy?.schemaVersion;
	// An earlier release's copy (or schema): the full check decides, and moves the copy to secret storage.
	if (legacy || (version !== undefined && version !== PRECOMPILED_SCHEMA_VERSION)) {
		return { kind: 'needs-full-check' };
	}
	try {
		if (cached) {
			const document = verifyCachedPolicy(cached.envelope, { organizationId, signingKey }, validators);
			if (document.revision >= highestRevision) {
				return { kind: 'restored', document, receivedAt: cached.receivedAt, highestRevision };
			}
		}
	} catch {
		// An altered or foreign cache is no policy at all: decided below, as when there is none.
	}
	return highestRevision > 0 ? { kind: 'cannot-verify', organizationId, highestRevision } : { kind: 'none' };
}
