import {
	buildPolicyDocument,
	canonicalJson,
	generateSigningKeyPair,
	projectable,
	projectDocument,
	settingsOf,
	SCHEMA_VERSION,
	signedBytes,
	type PolicyDocument,
	type PolicySettings,
	type SchemaVersion,
	type SignedPolicy,
} from '../../policy';
import type { OrganizationKeys } from '../signing/keyring';
import { pemSigner, type PolicySigner } from '../signing/signer';
import type { RevisionRecord, RolloutSpec, Store } from '../store/store';

/** A revision as the service serves it: signed once per schema version members may ask for. */
export interface PublishedRevision {
	readonly orgId: string;
	readonly revision: number;
	/** The signed envelope in the newest schema version, as sent on the wire. */
	readonly json: string;
	/** The signed envelope in each schema version a member may ask for. */
	readonly jsonBySchema: ReadonlyMap<SchemaVersion, string>;
	readonly signed: SignedPolicy;
	/** Milliseconds since the epoch. */
	readonly createdAt: number;
	readonly createdBy: string;
	/** A staged rollout: who gets this revision first, and what everyone else keeps meanwhile. */
	readonly rollout?: RolloutSpec | undefined;
}

export function toPublished(record: RevisionRecord): PublishedRevision {
	const signed = JSON.parse(record.signedJson) as SignedPolicy;
	const jsonBySchema = new Map<SchemaVersion, string>([[signed.policy.schemaVersion, record.signedJson]]);
	if (record.signedJsonV1 !== null) {
		jsonBySchema.set(1, record.signedJsonV1);
	}
	if (record.signedJsonV2 !== null) {
		jsonBySchema.set(2, record.signedJsonV2);
	}
	return {
		orgId: record.orgId,
		revision: record.revision,
		json: record.signedJson,
		jsonBySchema,
		signed,
		createdAt: record.createdAt,
		createdBy: record.createdBy,
		...(record.rollout ? { rollout: record.rollout } : {}),
	};
}

/**
 * Whether an extension that said it understands policy schemas up to `policySchema` cannot be given
 * this revision at all (none of its envelopes is in a schema that old). Unknown (null): not judged.
 */
export function tooOldFor(revision: PublishedRevision, policySchema: number | null): boolean {
	return policySchema !== null && ![...revision.jsonBySchema.keys()].some((signed) => signed <= policySchema);
}

/** The envelope a member that understands schema versions up to `version` is served. */
export function jsonForSchema(revision: PublishedRevision, version: SchemaVersion): string {
	for (let candidate = version; candidate >= 1; candidate--) {
		const json = revision.jsonBySchema.get(candidate as SchemaVersion);
		if (json !== undefined) {
			return json;
		}
	}
	return revision.json;
}

async function envelope(policy: PolicyDocument, signer: PolicySigner, endorsements: OrganizationKeys['endorsements']): Promise<string> {
	const value = await signer.sign(signedBytes(policy));
	return canonicalJson({
		policy,
		signature: { alg: 'Ed25519', keyId: signer.key.keyId, value },
		...(endorsements.length > 0 ? { keyEndorsements: endorsements } : {}),
	});
}

/** Stamps, signs and encodes settings as the revision record the store appends. */
export async function signRevision(
	settings: PolicySettings,
	organization: { id: string; name: string },
	revision: number,
	at: number,
	author: string,
	keys: Pick<OrganizationKeys, 'current' | 'endorsements' | 'legacy'>,
): Promise<RevisionRecord> {
	const document = buildPolicyDocument(settings, { organization, revision, updatedAt: new Date(at).toISOString(), updatedBy: author });
	const signed = await signInEveryVersion(document, keys);
	return {
		orgId: organization.id,
		revision,
		signedJson: signed.get(SCHEMA_VERSION)!,
		signedJsonV1: signed.get(1) ?? null,
		signedJsonV2: signed.get(2) ?? null,
		createdAt: at,
		createdBy: author,
	};
}

/** A document signed in each schema version it can be projected to (the newest always). */
export async function signInEveryVersion(
	document: PolicyDocument,
	keys: Pick<OrganizationKeys, 'current' | 'endorsements' | 'legacy'>,
): Promise<Map<SchemaVersion, string>> {
	const signed = new Map<SchemaVersion, string>([[SCHEMA_VERSION, await envelope(document, keys.current, keys.endorsements)]]);
	// Signed in version 1 too, so members of the first release keep working after any save; their
	// envelope has no room for endorsements, so during a rotation's overlap the old key signs it.
	if (projectable(document, 1)) {
		signed.set(1, await envelope(projectDocument(document, 1), keys.legacy ?? keys.current, []));
	}
	// And in version 2, for members from before the Responses API (without the models only it serves).
	if (projectable(document, 2)) {
		signed.set(2, await envelope(projectDocument(document, 2), keys.current, keys.endorsements));
	}
	return signed;
}

/**
 * A new organization with revision 1 (disabled, so members choose freely until an admin saves),
 * signed by `signer` when its key lives outside the database, else by a key generated into it.
 */
export async function createOrganizationWithPolicy(
	store: Store,
	organization: { id: string; name: string },
	at: number,
	signer?: PolicySigner,
): Promise<void> {
	const generated = signer ? undefined : generateSigningKeyPair();
	const current = signer ?? pemSigner(generated!.privateKeyPem);
	const first = await signRevision({ enabled: false }, organization, 1, at, 'system', { current, endorsements: [], legacy: undefined });
	await store.createOrganization(
		{ ...organization, createdAt: at },
		{ orgId: organization.id, privateKeyPem: generated?.privateKeyPem ?? null, publicKey: current.key.publicKey, createdAt: at },
		first,
	);
}

export function settingsOfRevision(revision: PublishedRevision): PolicySettings {
	return settingsOf(revision.signed.policy as PolicyDocument);
}
