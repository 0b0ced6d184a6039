import {
	effectiveDocument,
	etagOf,
	overlayFingerprint,
	overlaysFor,
	SCHEMA_VERSION,
	type PolicyDocument,
	type SchemaVersion,
} from '../../policy';
import type { OrganizationKeys } from '../signing/keyring';
import { jsonForSchema, signInEveryVersion, type PublishedRevision } from './revisions';

/** What one member is served of a revision: the organization's document, or the one made for their groups. */
export interface MemberPolicy {
	readonly revision: number;
	/** The overlays applied, in order (empty: none). */
	readonly applied: readonly string[];
	/** The signed envelope a member reading schema versions up to `version` gets. */
	json(version: SchemaVersion): string;
	etag(version: SchemaVersion): string;
}

export interface VariantDeps {
	readonly keysFor: (orgId: string) => Promise<Pick<OrganizationKeys, 'current' | 'endorsements' | 'legacy'> | undefined>;
	/** The names of a member's groups. */
	readonly groupsOf: (userId: string) => Promise<string[]>;
	/** Counts each effective document signed (per overlay set, in every schema version). */
	readonly onSigned?: () => void;
}

export const hasOverlays = (revision: PublishedRevision): boolean => Boolean((revision.signed.policy as PolicyDocument).overlays?.length);

/**
 * Each revision's base variant, made once: the same object for every read of a revision lets a
 * reader keep what it derives from it (the policy read's prepared answers) against that object.
 */
const baseVariants = new WeakMap<PublishedRevision, MemberPolicy>();

/** What every member is served of a revision without overlays: the stored envelopes. */
export function baseVariant(revision: PublishedRevision): MemberPolicy {
	let variant = baseVariants.get(revision);
	if (!variant) {
		variant = {
			revision: revision.revision,
			applied: [],
			json: (version) => jsonForSchema(revision, version),
			etag: (version) => etagOf(revision.revision, version),
		};
		baseVariants.set(revision, variant);
	}
	return variant;
}

/**
 * The effective documents of a revision with group overlays: made and signed once per distinct
 * set of overlays (not per member), on first use, and kept for the organization's newest revision
 * only. A revision without overlays is served as stored, without reading anyone's groups.
 */
export class PolicyVariants {
	private readonly byOrg = new Map<string, { revision: number; variants: Map<string, Promise<MemberPolicy>> }>();

	constructor(private readonly deps: VariantDeps) {}

	/** What `userId` is served of `revision`. */
	async forMember(revision: PublishedRevision, userId: string): Promise<MemberPolicy> {
		return hasOverlays(revision) ? this.forGroups(revision, await this.deps.groupsOf(userId)) : baseVariant(revision);
	}

	/** What a member in `groups` is served of `revision`. */
	forGroups(revision: PublishedRevision, groups: readonly string[]): Promise<MemberPolicy> {
		if (!hasOverlays(revision)) {
			return Promise.resolve(baseVariant(revision));
		}
		const document = revision.signed.policy as PolicyDocument;
		const applied = overlaysFor(document.overlays, groups).map((overlay) => overlay.group);
		let known = this.byOrg.get(revision.orgId);
		if (!known || known.revision < revision.revision) {
			known = { revision: revision.revision, variants: new Map() };
			this.byOrg.set(revision.orgId, known);
		}
		const key = overlayFingerprint(applied) || '-';
		let variant = known.revision === revision.revision ? known.variants.get(key) : undefined;
		if (!variant) {
			variant = this.sign(revision, document, groups, applied);
			if (known.revision === revision.revision) {
				known.variants.set(key, variant);
				// A failed signature (a KMS outage) is tried again by the next member, not remembered.
				variant.catch(() => known.variants.delete(key));
			}
		}
		return variant;
	}

	/** Whether members of this revision would be served differently with these groups than with those. */
	static differs(revision: PublishedRevision, before: readonly string[], after: readonly string[]): boolean {
		const overlays = (revision.signed.policy as PolicyDocument).overlays;
		const names = (groups: readonly string[]) => overlaysFor(overlays, groups).map((overlay) => overlay.group);
		return overlayFingerprint(names(before)) !== overlayFingerprint(names(after));
	}

	private async sign(
		revision: PublishedRevision,
		document: PolicyDocument,
		groups: readonly string[],
		applied: string[],
	): Promise<MemberPolicy> {
		const keys = await this.deps.keysFor(revision.orgId);
		if (!keys) {
			throw new Error(`organization ${revision.orgId} has no signing key`);
		}
		const signed = await signInEveryVersion(effectiveDocument(document, groups), keys);
		this.deps.onSigned?.();
		return {
			revision: revision.revision,
			applied,
			json: (version) => {
				for (let candidate = version; candidate >= 1; candidate--) {
					const json = signed.get(candidate as SchemaVersion);
					if (json !== undefined) {
						return json;
					}
				}
				return signed.get(SCHEMA_VERSION)!;
			},
			etag: (version) => etagOf(revision.revision, version, applied),
		};
	}
}
