import { endorsementPayload, keyIdOf, type KeyEndorsement, type PolicySigningKey } from '../../policy';
import type { Clock } from '../clock';
import type { KeyEndorsementRecord, SigningKeyRecord, Store } from '../store/store';
import { pemSigner, type PolicySigner } from './signer';

/** What signs one organization's revisions right now. */
export interface OrganizationKeys {
	readonly current: PolicySigner;
	/** From the organization's first key to `current`, sent with every schema-2 revision. */
	readonly endorsements: readonly KeyEndorsement[];
	/**
	 * The key before `current`, while the rotation's overlap lasts and its private half is at hand:
	 * schema-1 envelopes are signed with it, since first-release members cannot follow endorsements.
	 */
	readonly legacy: PolicySigner | undefined;
}

export interface KeyCustodyOptions {
	/** The organization whose key lives outside the database, and its signer (key file or KMS). */
	readonly external?: { readonly orgId: string; readonly signer: PolicySigner; readonly previous?: PolicySigner | undefined } | undefined;
	/** How long after a rotation schema-1 members are still served the old key's signature. */
	readonly overlapMs: number;
}

export class KeyCustodyError extends Error {
	override readonly name = 'KeyCustodyError';
}

const toEndorsement = (record: KeyEndorsementRecord): KeyEndorsement => ({
	key: { alg: 'Ed25519', keyId: record.keyId, publicKey: record.publicKey },
	endorsedBy: record.endorsedBy,
	signature: record.signature,
});

/**
 * Where each organization's signing key is kept, and how it rotates. By default the key is in the
 * database; with an external signer (a key file, a KMS) the database holds only public keys and
 * endorsements, so someone who can write the database cannot also sign.
 */
export class Keyring {
	private readonly cache = new Map<string, OrganizationKeys>();

	constructor(
		private readonly store: Store,
		private readonly clock: Clock,
		private readonly options: KeyCustodyOptions,
	) {}

	/** The key members pin at sign-in: the newest one. */
	async publicKey(orgId: string): Promise<PolicySigningKey | undefined> {
		return (await this.keysFor(orgId))?.current.key;
	}

	/** A new organization's first key: the external signer for that organization, else one generated into the database. */
	rootFor(orgId: string): PolicySigner | undefined {
		return this.options.external?.orgId === orgId ? this.options.external.signer : undefined;
	}

	async keysFor(orgId: string): Promise<OrganizationKeys | undefined> {
		const known = this.cache.get(orgId);
		if (known) {
			return known;
		}
		const chain = await this.chainOf(orgId);
		if (!chain) {
			return undefined;
		}
		const { root, records } = chain;
		const published = records.at(-1)?.publicKey ?? root.publicKey;
		const current = this.signerFor(orgId, published, root);
		if (!current) {
			throw new KeyCustodyError(
				`organization ${orgId} signs with key ${keyIdOf(published)}, whose private key is neither in the database nor given to this instance; start it with --signing-key-file (ORG_POLICY_SIGNING_KEY_FILE) pointing at that key`,
			);
		}
		const last = records.at(-1);
		const overlapping = last !== undefined && this.clock.now() - last.createdAt < this.options.overlapMs;
		const previous = records.at(-2)?.publicKey ?? root.publicKey;
		const keys: OrganizationKeys = {
			current,
			endorsements: records.map(toEndorsement),
			legacy: overlapping ? this.signerFor(orgId, previous, root) : undefined,
		};
		this.cache.set(orgId, keys);
		return keys;
	}

	/**
	 * At start, for the organization with an external signer: when that key is not yet the one
	 * members trust, the trusted key endorses it. Returns the endorsement made, if any; the caller
	 * then publishes a revision signed with the new key so members move over at once.
	 */
	async adopt(): Promise<KeyEndorsementRecord | undefined> {
		const external = this.options.external;
		if (!external) {
			return undefined;
		}
		const stored = await this.chainOf(external.orgId);
		if (!stored) {
			return undefined;
		}
		const { root, records } = stored;
		const chain = [root.publicKey, ...records.map((record) => record.publicKey)];
		const published = chain.at(-1)!;
		const incoming = external.signer.key;
		if (incoming.publicKey === published) {
			await this.forgetDatabaseKeyAfterOverlap(root, records.at(-1));
			return undefined;
		}
		if (chain.includes(incoming.publicKey)) {
			throw new KeyCustodyError(
				`--signing-key-file: key ${incoming.keyId} was replaced by key ${keyIdOf(published)} for organization ${external.orgId}; members no longer accept it. Use the newer key's file`,
			);
		}
		const endorser = this.signerFor(external.orgId, published, root);
		if (!endorser) {
			throw new KeyCustodyError(
				`--signing-key-file: members of ${external.orgId} trust key ${keyIdOf(published)}, which must endorse the new key ${incoming.keyId}; ` +
					'start once with --previous-signing-key-file (ORG_POLICY_PREVIOUS_SIGNING_KEY_FILE) pointing at the current key',
			);
		}
		const endorsement: KeyEndorsementRecord = {
			orgId: external.orgId,
			keyId: incoming.keyId,
			publicKey: incoming.publicKey,
			endorsedBy: endorser.key.keyId,
			signature: await endorser.sign(endorsementPayload(external.orgId, incoming)),
			createdAt: this.clock.now(),
		};
		this.cache.delete(external.orgId);
		// Another instance adopting the same key at the same moment endorsed it first: nothing to publish here.
		return (await this.store.addKeyEndorsement(endorsement)) ? endorsement : undefined;
	}

	/** The organization's first key and the endorsements after it, as stored. */
	private async chainOf(orgId: string): Promise<{ root: SigningKeyRecord; records: KeyEndorsementRecord[] } | undefined> {
		const [root, records] = await Promise.all([this.store.getSigningKey(orgId), this.store.listKeyEndorsements(orgId)]);
		return root && { root, records };
	}

	/** The signer for `publicKey` among those this instance holds: the external ones, then the database's. */
	private signerFor(orgId: string, publicKey: string, root: SigningKeyRecord): PolicySigner | undefined {
		const external = this.options.external?.orgId === orgId ? this.options.external : undefined;
		const found = [external?.signer, external?.previous].find((signer) => signer?.key.publicKey === publicKey);
		if (found) {
			return found;
		}
		return root.privateKeyPem && root.publicKey === publicKey ? pemSigner(root.privateKeyPem) : undefined;
	}

	/** Once every member has had the overlap to move to the external key, the database's copy of the first key goes. */
	private async forgetDatabaseKeyAfterOverlap(root: SigningKeyRecord, last: KeyEndorsementRecord | undefined): Promise<void> {
		if (root.privateKeyPem && last && this.clock.now() - last.createdAt >= this.options.overlapMs) {
			await this.store.forgetPrivateKey(root.orgId);
			this.cache.delete(root.orgId);
		}
	}
}
