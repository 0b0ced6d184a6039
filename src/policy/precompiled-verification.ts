import type * as z from 'zod';
import type { PolicyDocumentSchema } from './schema';
import type { KeyEndorsement } from './key-chain';
import { checkPolicyOrganization, checkPolicySignature, PolicyRejectedError, type PolicyTrust } from './signature-check';

/** An Ajv standalone validate function: true when valid, else false with `errors` set. */
export interface PrecompiledValidate {
	(value: unknown): boolean;
	errors?: readonly { readonly instancePath: string; readonly keyword: string }[] | null;
}

/**
 * The validators generated at build time (scripts/precompiled-validators.ts) from the JSON Schemas
 * zod derives from the signed envelope, the policy document (current schema version) and the pin.
 * They check every structural rule (types, required and unknown fields, bounds, patterns, enums);
 * the rules a JSON Schema cannot state (a default model among the allowed ones, a header colliding
 * with the credential) are checked by the full zod validation that follows once the rest of the
 * extension has loaded.
 */
export interface PrecompiledValidators {
	readonly envelope: PrecompiledValidate;
	readonly document: PrecompiledValidate;
	readonly pin: PrecompiledValidate;
}

/** The document as verified at start-up: as signed, before zod applies its defaults. */
export type CachedPolicyDocument = z.input<typeof PolicyDocumentSchema>;

/** The first failing field, as a path the messages elsewhere use (`provider.baseUrl`). */
export function firstInvalidField(validate: PrecompiledValidate): string {
	const error = validate.errors?.[0];
	const path = error?.instancePath.slice(1).replaceAll('/', '.') || '(root)';
	return `${path}: fails ${error?.keyword ?? 'validation'}`;
}

/**
 * The start-up check of the cached policy, without zod: the envelope's shape, the signature (the
 * same check as {@link verifySignedPolicy}), the document's structure and its organization. Only
 * documents of the current schema version are checked here; throws {@link PolicyRejectedError}.
 */
export function verifyCachedPolicy(envelope: unknown, trust: PolicyTrust, validators: PrecompiledValidators): CachedPolicyDocument {
	if (!validators.envelope(envelope)) {
		throw new PolicyRejectedError('malformed', `not a signed policy: ${firstInvalidField(validators.envelope)}`);
	}
	const { policy, signature, keyEndorsements } = envelope as {
		policy: unknown;
		signature: { keyId: string; value: string };
		keyEndorsements?: KeyEndorsement[];
	};
	checkPolicySignature(policy, signature, keyEndorsements ?? [], trust);
	if (!validators.document(policy)) {
		throw new PolicyRejectedError('invalid-document', firstInvalidField(validators.document));
	}
	const document = policy as CachedPolicyDocument;
	checkPolicyOrganization(document.organization.id, trust);
	return document;
}
