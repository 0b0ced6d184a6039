import { EventEmitter } from 'node:events';
import {
	buildPolicyDocument,
	canonicalJson,
	generateSigningKeyPair,
	PolicySettingsSchema,
	parseWith,
	projectDocument,
	publicKeyFromPrivatePem,
	settingsOf,
	signPolicy,
	type FieldError,
	type PolicyDocument,
	type PolicySettings,
	type PolicySigningKey,
	type SchemaVersion,
	type SignedPolicy,
} from '../policy';
import type { Clock } from './clock';
import type { RevisionRecord, Store } from './store/store';

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
}

export type SaveResult =
	| { kind: 'saved'; revision: PublishedRevision }
	| { kind: 'invalid'; errors: FieldError[] }
	| { kind: 'conflict'; current: PublishedRevision | undefined };

/** Which tokens a revocation ended: every one of a user, of a sign-in (refresh family), or one. */
export interface Revocation {
	readonly userId?: string | undefined;
	readonly familyId?: string | undefined;
	readonly tokenHash?: string | undefined;
}

/** Fans saved revisions out to live subscribers (SSE streams, metrics) of this instance. */
export class PolicyEvents {
	private readonly emitter = new EventEmitter();

	constructor() {
		this.emitter.setMaxListeners(0);
	}

	onRevision(listener: (revision: PublishedRevision) => void): () => void {
		this.emitter.on('revision', listener);
		return () => this.emitter.off('revision', listener);
	}

	/** Tokens stopped being valid: a member's all (removal), one sign-in's (RFC 7009, replay), or one token. */
	onRevoked(listener: (revocation: Revocation) => void): () => void {
		this.emitter.on('revoked', listener);
		return () => this.emitter.off('revoked', listener);
	}

	publishRevision(revision: PublishedRevision): void {
		this.emitter.emit('revision', revision);
	}

	publishRevoked(revocation: Revocation): void {
		this.emitter.emit('revoked', revocation);
	}
}

export function toPublished(record: RevisionRecord): PublishedRevision {
	const signed = JSON.parse(record.signedJson) as SignedPolicy;
	const jsonBySchema = new Map<SchemaVersion, string>([[signed.policy.schemaVersion, record.signedJson]]);
	if (record.signedJsonV1 !== null) {
		jsonBySchema.set(1, record.signedJsonV1);
	}
	return {
		orgId: record.orgId,
		revision: record.revision,
		json: record.signedJson,
		jsonBySchema,
		signed,
		createdAt: record.createdAt,
		createdBy: record.createdBy,
	};
}

export class PolicyService {
	/** The newest revision per organization, so reads do not touch the database. */
	private readonly latest = new Map<string, PublishedRevision>();
	private readonly publicKeys = new Map<string, PolicySigningKey>();

	constructor(
		private readonly store: Store,
		private readonly events: PolicyEvents,
		private readonly clock: Clock,
	) {}

	async current(orgId: string): Promise<PublishedRevision | undefined> {
		if (this.store.notificationsHealthy?.() === false) {
			// Other instances' saves are not arriving: the cached revision may be stale, so read.
			await this.refresh(orgId);
		}
		const cached = this.latest.get(orgId);
		if (cached) {
			return cached;
		}
		const record = await this.store.latestRevision(orgId);
		if (!record) {
			return undefined;
		}
		return this.remember(toPublished(record));
	}

	/** The public half of an organization's key, sent with every token response; keys never change. */
	async signingKey(orgId: string): Promise<PolicySigningKey | undefined> {
		let known = this.publicKeys.get(orgId);
		if (!known) {
			const key = await this.store.getSigningKey(orgId);
			known = key && publicKeyFromPrivatePem(key.privateKeyPem);
			if (known) {
				this.publicKeys.set(orgId, known);
			}
		}
		return known;
	}

	async history(orgId: string, limit: number): Promise<PublishedRevision[]> {
		return (await this.store.listRevisions(orgId, limit)).map(toPublished);
	}

	async save(orgId: string, input: unknown, expected: number | 'any', author: string): Promise<SaveResult> {
		const parsed = parseWith(PolicySettingsSchema, input);
		if (!parsed.ok) {
			return { kind: 'invalid', errors: parsed.errors };
		}
		const [organization, key] = await Promise.all([this.store.getOrganization(orgId), this.store.getSigningKey(orgId)]);
		if (!organization || !key) {
			throw new Error(`organization ${orgId} is not set up`);
		}
		const updatedAt = this.clock.now();
		const result = await this.store.appendRevision(orgId, expected, (revision) =>
			signedRevisionRecord(parsed.value, { id: organization.id, name: organization.name }, revision, updatedAt, author, key.privateKeyPem),
		);
		if (!result.ok) {
			return { kind: 'conflict', current: result.current && this.remember(toPublished(result.current)) };
		}
		const published = this.remember(toPublished(result.record));
		this.events.publishRevision(published);
		return { kind: 'saved', revision: published };
	}

	/** Another instance saved a revision (PostgreSQL NOTIFY): read it and fan it out here too. */
	async refresh(orgId: string): Promise<void> {
		const record = await this.store.latestRevision(orgId);
		const known = this.latest.get(orgId);
		if (record && (!known || record.revision > known.revision)) {
			this.events.publishRevision(this.remember(toPublished(record)));
		}
	}

	private remember(revision: PublishedRevision): PublishedRevision {
		const known = this.latest.get(revision.orgId);
		if (!known || known.revision <= revision.revision) {
			this.latest.set(revision.orgId, revision);
		}
		return revision;
	}
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

/** Stamps, signs and encodes settings as the revision record the store appends. */
export function signedRevisionRecord(
	settings: PolicySettings,
	organization: { id: string; name: string },
	revision: number,
	at: number,
	author: string,
	privateKeyPem: string,
): RevisionRecord {
	const document = buildPolicyDocument(settings, { organization, revision, updatedAt: new Date(at).toISOString(), updatedBy: author });
	return {
		orgId: organization.id,
		revision,
		signedJson: canonicalJson(signPolicy(document, privateKeyPem)),
		// Signed in version 1 too, so members of the first release keep working after any save.
		signedJsonV1: canonicalJson(signPolicy(projectDocument(document, 1), privateKeyPem)),
		createdAt: at,
		createdBy: author,
	};
}

/** A new organization with its own signing key and revision 1: disabled, so members choose freely until an admin saves. */
export async function createOrganizationWithPolicy(store: Store, organization: { id: string; name: string }, at: number): Promise<void> {
	const keys = generateSigningKeyPair();
	await store.createOrganization({ ...organization, createdAt: at }, { orgId: organization.id, privateKeyPem: keys.privateKeyPem, createdAt: at }, (revision) =>
		signedRevisionRecord({ enabled: false }, organization, revision, at, 'system', keys.privateKeyPem),
	);
}

export function settingsOfRevision(revision: PublishedRevision): PolicySettings {
	return settingsOf(revision.signed.policy as PolicyDocument);
}
