import { EventEmitter } from 'node:events';
import { PolicySettingsSchema, parseWith, type FieldError, type PolicySettings, type PolicySigningKey } from '../../policy';
import type { Clock } from '../clock';
import { restoreKeptHeaderValues, restoreKeptOverlayHeaderValues, withSavedOverlays, type KeptHeadersResult } from './kept-headers';
import type { Keyring } from '../signing/keyring';
import type { Store } from '../store/store';
import { signRevision, toPublished, settingsOfRevision, type PublishedRevision } from './revisions';

export {
	createOrganizationWithPolicy,
	jsonForSchema,
	settingsOfRevision,
	signRevision,
	toPublished,
	type PublishedRevision,
} from './revisions';

export type SaveResult =
	| { kind: 'saved'; revision: PublishedRevision }
	| { kind: 'invalid'; errors: FieldError[] }
	| { kind: 'conflict'; current: PublishedRevision | undefined }
	/** The newest revision is still rolling out: promote it or roll it back first. */
	| { kind: 'rollout-active'; current: PublishedRevision };

/** Who gets a revision first: a group's members, or a share of members chosen from their ids. */
export type Canary = { group: string } | { percent: number };

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

export class PolicyService {
	/** The newest revision per organization, so reads do not touch the database. */
	private readonly latest = new Map<string, PublishedRevision>();

	constructor(
		private readonly store: Store,
		private readonly events: PolicyEvents,
		private readonly clock: Clock,
		private readonly keyring: Keyring,
	) {}

	async current(orgId: string): Promise<PublishedRevision | undefined> {
		if (this.store.notificationsHealthy?.() === false) {
			// Other instances' saves are not arriving: the cached revision may be stale, so read.
			try {
				await this.reloadLatest(orgId);
			} catch (error) {
				// The database is out of reach too: the newest revision this instance knows is signed and
				// immutable, so it is still served (readiness reports the outage).
				if (!this.latest.has(orgId)) {
					throw error;
				}
			}
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

	/**
	 * The newest revision when this instance can vouch for it without reading: it is in memory and
	 * other instances' saves are arriving. Undefined: ask {@link current}.
	 */
	newestInMemory(orgId: string): PublishedRevision | undefined {
		return this.store.notificationsHealthy?.() === false ? undefined : this.latest.get(orgId);
	}

	/** The public half of an organization's newest key, sent with every token response (members pin it). */
	async signingKey(orgId: string): Promise<PolicySigningKey | undefined> {
		return this.keyring.publicKey(orgId);
	}

	/**
	 * The newest revision a member said they hold beyond the newest saved here (this database was
	 * restored from an earlier backup), and whose VS Code said so; none once a save passed it.
	 */
	async heldAhead(orgId: string): Promise<{ revision: number; userId: string; at: number } | undefined> {
		const [organization, current] = await Promise.all([this.store.getOrganization(orgId), this.current(orgId)]);
		const held = organization?.heldAhead;
		return held && current && held.revision > current.revision ? held : undefined;
	}

	/** One earlier revision, to restore it. */
	async revision(orgId: string, revision: number): Promise<PublishedRevision | undefined> {
		const current = await this.current(orgId);
		if (!current || revision < 1 || revision > current.revision) {
			return undefined;
		}
		return (await this.history(orgId, current.revision - revision + 1)).find((candidate) => candidate.revision === revision);
	}

	async history(orgId: string, limit: number): Promise<PublishedRevision[]> {
		return (await this.store.listRevisions(orgId, limit)).map(toPublished);
	}

	async save(orgId: string, input: unknown, expected: number | 'any', author: string, canary?: Canary): Promise<SaveResult> {
		const parsed = parseWith(PolicySettingsSchema, input);
		if (!parsed.ok) {
			return { kind: 'invalid', errors: parsed.errors };
		}
		const current = await this.current(orgId);
		if (current?.rollout && !(await this.store.rolloutOutcome(orgId, current.revision))) {
			return { kind: 'rollout-active', current };
		}
		return this.append(orgId, parsed.value, expected, author, canary);
	}

	/**
	 * The admin's input with what the console never receives put back before it is validated, a rule
	 * of the policy whoever saves: the saved values of the headers named in `keep` (an untouched
	 * secret arrives empty), overlay header values sent empty, and, with `keepOverlays`, the saved
	 * overlays themselves (the settings page does not edit them).
	 */
	async withKeptValues(
		orgId: string,
		input: unknown,
		keep: { headers: readonly string[]; overlays?: boolean },
	): Promise<KeptHeadersResult> {
		const current = await this.current(orgId);
		const saved = current ? settingsOfRevision(current) : undefined;
		const restored = restoreKeptHeaderValues(input, keep.headers, saved?.provider?.headers ?? {});
		if (!restored.ok) {
			return restored;
		}
		return keep.overlays
			? { ok: true, value: withSavedOverlays(restored.value, saved ?? {}) }
			: restoreKeptOverlayHeaderValues(restored.value, saved?.overlays ?? []);
	}

	/** The newest settings again, signed with the organization's newest key (after a key rotation). */
	async republish(orgId: string, author: string): Promise<PublishedRevision | undefined> {
		const current = await this.current(orgId);
		const result = current && (await this.append(orgId, settingsOfRevision(current), 'any', author));
		return result?.kind === 'saved' ? result.revision : undefined;
	}

	/**
	 * Signs outside the database transaction (a KMS signer may take a network round trip), for the
	 * revision after the newest one read; the store appends it only if that is still the newest.
	 * With `any`, a writer that lost the race signs again for the next number.
	 */
	private async append(
		orgId: string,
		settings: PolicySettings,
		expected: number | 'any',
		author: string,
		canary?: Canary,
	): Promise<SaveResult> {
		const [organization, keys] = await Promise.all([this.store.getOrganization(orgId), this.keyring.keysFor(orgId)]);
		if (!organization || !keys) {
			throw new Error(`organization ${orgId} is not set up`);
		}
		for (;;) {
			const latest = await this.store.latestRevision(orgId);
			const base = latest?.revision ?? 0;
			if (expected !== 'any' && expected !== base) {
				return { kind: 'conflict', current: latest && this.remember(toPublished(latest)) };
			}
			// Past any revision a member holds beyond this database's (it was restored from a backup): they refuse older ones.
			const next = Math.max(base, organization.heldAhead?.revision ?? 0) + 1;
			const record = await signRevision(settings, { id: organization.id, name: organization.name }, next, this.clock.now(), author, keys);
			// The canary is stored with the revision, so no instance ever publishes it without.
			const staged = canary && base > 0 ? { ...record, rollout: { stable: base, ...canary } } : record;
			const result = await this.store.appendRevision(orgId, base, () => staged);
			if (result.ok) {
				const published = this.remember(toPublished(result.record));
				this.events.publishRevision(published);
				return { kind: 'saved', revision: published };
			}
			if (expected !== 'any') {
				return { kind: 'conflict', current: result.current && this.remember(toPublished(result.current)) };
			}
		}
	}

	/** Another instance saved a revision (PostgreSQL NOTIFY): read it and fan it out here too. */
	/** Reads the newest revision from the store and publishes it when it is newer than what this instance knows. */
	async reloadLatest(orgId: string): Promise<void> {
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
