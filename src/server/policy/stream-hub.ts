import type { ServerResponse } from 'node:http';
import type { ServiceMetrics } from '../metrics';
import type { SchemaVersion } from '../../policy';
import type { PolicyEvents, PublishedRevision, Revocation } from './policy-service';
import { baseVariant, hasOverlays, PolicyVariants, type MemberPolicy } from './variants';
import { inCanary, takesRollout } from './rollouts';
import type { RolloutSpec } from '../store/store';

/** The token a stream was opened with: the stream lasts only as long as it does. */
export interface StreamToken {
	readonly hash: string;
	readonly familyId: string | null;
	readonly expiresAt: number | null;
}

interface Subscriber {
	readonly stream: ServerResponse;
	readonly userId: string;
	/** The policy schema version this member reads. */
	readonly version: SchemaVersion;
	readonly token: StreamToken;
	/** The member's groups' names, for the revisions made with group overlays. */
	groups: readonly string[];
	/** The newest revision this stream's member holds: written to it, or named by its Last-Event-ID. */
	held: number;
}

/** What a stream is opened with, beside its member and response. */
export interface StreamOpening {
	/** The policy schema version this member reads. */
	readonly version: SchemaVersion;
	readonly token: StreamToken;
	/** The member's groups' names. */
	readonly groups: readonly string[];
	/** The newest revision the member holds once the stream opens. */
	readonly held: number;
}

/** A revision rolling out when members' groups changed, and the one everyone outside its canary keeps. */
export interface RegroupRollout {
	readonly spec: RolloutSpec;
	readonly stable: PublishedRevision;
}

const HEARTBEAT = Buffer.from(': heartbeat\n\n');
/** The member's tokens were revoked: refreshing fails and signs the member out. */
const REVOKED = 'event: revoked\ndata: {}\n\n';
/** The longest delay `setTimeout` takes (2^31 − 1 ms); Node fires a longer one after 1 ms. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;
/** The access token expired: the member refreshes it and reconnects. */
const EXPIRED = 'event: expired\ndata: {}\n\n';

/**
 * Streams written before the event loop is given back: a revision reaching ten thousand streams in
 * one go would hold every policy read behind it for the whole fan-out (#31 item 4).
 */
const SLICE = 256;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const revokes = (revocation: Revocation, subscriber: Subscriber) =>
	subscriber.userId === revocation.userId ||
	(revocation.familyId !== undefined && subscriber.token.familyId === revocation.familyId) ||
	subscriber.token.hash === revocation.tokenHash;

/** The SSE frame of what a member is served of a revision, in one schema version: encoded once, written to every such subscriber. */
export function revisionFrame(policy: MemberPolicy, version: SchemaVersion): Buffer {
	return Buffer.from(`id: ${policy.revision}\nevent: policy\ndata: ${policy.json(version)}\n\n`);
}

/**
 * The open policy event streams, by organization: a revision is encoded once and written to its
 * organization's streams; one timer sends every heartbeat; a removed member's streams end.
 */
export class StreamHub {
	private readonly byOrg = new Map<string, Set<Subscriber>>();
	/** Open streams per member, so one member cannot hold every connection the service may open. */
	private readonly perMember = new Map<string, number>();
	private readonly heartbeat: NodeJS.Timeout;
	private readonly unsubscribe: (() => void)[];
	/** Fan-outs run one after another, so every stream gets revisions in order even while they yield. */
	private writing: Promise<void> = Promise.resolve();

	constructor(
		events: PolicyEvents,
		private readonly metrics: ServiceMetrics,
		heartbeatMs: number,
		private readonly variants: PolicyVariants,
	) {
		this.heartbeat = setInterval(() => void this.eachInSlices((subscriber) => subscriber.stream.write(HEARTBEAT)), heartbeatMs);
		this.heartbeat.unref();
		this.unsubscribe = [
			events.onRevision((revision) => void this.broadcast(revision)),
			events.onRevoked((revocation) => this.each((subscriber) => revokes(revocation, subscriber) && subscriber.stream.end(REVOKED))),
		];
	}

	add(orgId: string, userId: string, stream: ServerResponse, { version, token, groups, held }: StreamOpening, now: number): void {
		const subscriber: Subscriber = { stream, userId, version, token, groups, held };
		if (token.expiresAt !== null) {
			// Ends exactly when the token does, not at the next heartbeat.
			let expiry: NodeJS.Timeout | undefined;
			const endIn = (remaining: number) => {
				// A timer holds at most 24.8 days (an admin API token lives 90): a longer one would fire at once.
				expiry = setTimeout(
					() => (remaining > LONGEST_TIMER_MS ? endIn(remaining - LONGEST_TIMER_MS) : stream.end(EXPIRED)),
					Math.min(remaining, LONGEST_TIMER_MS),
				);
				expiry.unref();
			};
			endIn(Math.max(0, token.expiresAt - now));
			stream.once('close', () => clearTimeout(expiry));
		}
		let subscribers = this.byOrg.get(orgId);
		if (!subscribers) {
			subscribers = new Set();
			this.byOrg.set(orgId, subscribers);
		}
		subscribers.add(subscriber);
		this.perMember.set(userId, this.openFor(userId) + 1);
		this.metrics.sseSubscribers.inc();
		stream.once('close', () => {
			subscribers.delete(subscriber);
			const open = this.openFor(userId) - 1;
			if (open > 0) {
				this.perMember.set(userId, open);
			} else {
				this.perMember.delete(userId);
			}
			this.metrics.sseSubscribers.dec();
		});
	}

	/** How many streams `userId` has open on this instance. */
	openFor(userId: string): number {
		return this.perMember.get(userId) ?? 0;
	}

	/** Ends the streams whose token the check no longer accepts (after missed revocations). */
	async endInvalid(valid: (token: StreamToken) => Promise<boolean>): Promise<void> {
		const subscribers = [...this.byOrg.values()].flatMap((set) => [...set]);
		for (const subscriber of subscribers) {
			if (!(await valid(subscriber.token))) {
				subscriber.stream.end(REVOKED);
			}
		}
	}

	/** Ends every stream (graceful shutdown). */
	endAll(): void {
		this.each((subscriber) => subscriber.stream.end());
	}

	dispose(): void {
		clearInterval(this.heartbeat);
		this.unsubscribe.forEach((stop) => stop());
	}

	/**
	 * Members' groups changed: each of the organization's streams whose member is now served another
	 * document gets it at once — other overlays apply, or (while `current` rolls out) they joined its
	 * canary. A member outside the canary is served the stable revision's document, never
	 * `current`'s; one who leaves the canary keeps the revision they hold (see `takesRollout`).
	 */
	async regroup(current: PublishedRevision, groupsOf: (userId: string) => readonly string[], rollout?: RegroupRollout): Promise<void> {
		const toCurrent: Subscriber[] = [];
		const toStable: Subscriber[] = [];
		for (const subscriber of this.byOrg.get(current.orgId) ?? []) {
			const groups = groupsOf(subscriber.userId);
			const takes = !rollout || takesRollout(rollout.spec, current, subscriber.userId, groups, subscriber.held);
			const served = takes ? current : rollout.stable;
			if (served.revision > subscriber.held || PolicyVariants.differs(served, subscriber.groups, groups)) {
				(takes ? toCurrent : toStable).push(subscriber);
			}
			subscriber.groups = groups;
		}
		await this.write(current, toCurrent);
		if (rollout) {
			await this.write(rollout.stable, toStable);
		}
	}

	private async broadcast(revision: PublishedRevision): Promise<void> {
		const subscribers = [...(this.byOrg.get(revision.orgId) ?? [])];
		// A revision rolling out goes to its canary only; everyone else keeps the one before until it is promoted.
		const spec = revision.rollout;
		await this.write(revision, spec ? subscribers.filter((each) => inCanary(spec, revision.orgId, each.userId, each.groups)) : subscribers);
	}

	/** A rollout was promoted: the streams outside its canary get the revision now. */
	async promote(revision: PublishedRevision): Promise<void> {
		const spec = revision.rollout;
		const subscribers = [...(this.byOrg.get(revision.orgId) ?? [])];
		// Those who hold it already (the canary, and anyone who took it there and left) have it.
		await this.write(revision, spec ? subscribers.filter((each) => each.held < revision.revision) : []);
	}

	/** Writes each subscriber what it is served of `revision`, after any fan-out still under way. */
	private write(revision: PublishedRevision, subscribers: readonly Subscriber[]): Promise<void> {
		const done = this.writing.then(() => this.writeNow(revision, subscribers));
		this.writing = done.catch(() => undefined);
		return done;
	}

	/** One frame per distinct document and schema version, written in slices that let reads through. */
	private async writeNow(revision: PublishedRevision, subscribers: readonly Subscriber[]): Promise<void> {
		if (subscribers.length === 0) {
			return;
		}
		// Without overlays every member is served the same document: no lookup, no await per stream.
		const base = hasOverlays(revision) ? undefined : baseVariant(revision);
		const frames = new Map<MemberPolicy, Map<SchemaVersion, Buffer>>();
		let written = 0;
		for (const subscriber of subscribers) {
			const policy = base ?? (await this.variants.forGroups(revision, subscriber.groups));
			let byVersion = frames.get(policy);
			if (!byVersion) {
				byVersion = new Map();
				frames.set(policy, byVersion);
			}
			let frame = byVersion.get(subscriber.version);
			if (!frame) {
				frame = revisionFrame(policy, subscriber.version);
				byVersion.set(subscriber.version, frame);
			}
			// A stream may have closed while an earlier slice was written.
			if (!subscriber.stream.writableEnded && !subscriber.stream.destroyed) {
				subscriber.stream.write(frame);
				subscriber.held = Math.max(subscriber.held, revision.revision);
			}
			if (++written % SLICE === 0) {
				await yieldToEventLoop();
			}
		}
		this.metrics.eventsSent.inc(subscribers.length);
	}

	private async eachInSlices(action: (subscriber: Subscriber) => unknown): Promise<void> {
		let done = 0;
		for (const subscribers of [...this.byOrg.values()]) {
			for (const subscriber of [...subscribers]) {
				if (!subscriber.stream.writableEnded && !subscriber.stream.destroyed) {
					action(subscriber);
				}
				if (++done % SLICE === 0) {
					await yieldToEventLoop();
				}
			}
		}
	}

	private each(action: (subscriber: Subscriber) => unknown): void {
		for (const subscribers of this.byOrg.values()) {
			for (const subscriber of [...subscribers]) {
				action(subscriber);
			}
		}
	}
}
