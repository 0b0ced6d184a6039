import type { ServerResponse } from 'node:http';
import type { ServiceMetrics } from '../metrics';
import type { SchemaVersion } from '../../policy';
import { jsonForSchema, type PolicyEvents, type PublishedRevision, type Revocation } from './policy-service';

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
}

const HEARTBEAT = Buffer.from(': heartbeat\n\n');
/** The member's tokens were revoked: refreshing fails and signs the member out. */
const REVOKED = 'event: revoked\ndata: {}\n\n';
/** The access token expired: the member refreshes it and reconnects. */
const EXPIRED = 'event: expired\ndata: {}\n\n';

const revokes = (revocation: Revocation, subscriber: Subscriber) =>
	subscriber.userId === revocation.userId ||
	(revocation.familyId !== undefined && subscriber.token.familyId === revocation.familyId) ||
	subscriber.token.hash === revocation.tokenHash;

/** The SSE frame of a revision in one schema version, encoded once and written to every subscriber of that version. */
export function revisionFrame(revision: PublishedRevision, version: SchemaVersion): Buffer {
	return Buffer.from(`id: ${revision.revision}\nevent: policy\ndata: ${jsonForSchema(revision, version)}\n\n`);
}

/**
 * The open policy event streams, by organization: a revision is encoded once and written to its
 * organization's streams; one timer sends every heartbeat; a removed member's streams end.
 */
export class StreamHub {
	private readonly byOrg = new Map<string, Set<Subscriber>>();
	private readonly heartbeat: NodeJS.Timeout;
	private readonly unsubscribe: (() => void)[];

	constructor(
		events: PolicyEvents,
		private readonly metrics: ServiceMetrics,
		heartbeatMs: number,
	) {
		this.heartbeat = setInterval(() => this.each((subscriber) => subscriber.stream.write(HEARTBEAT)), heartbeatMs);
		this.heartbeat.unref();
		this.unsubscribe = [
			events.onRevision((revision) => this.broadcast(revision)),
			events.onRevoked((revocation) => this.each((subscriber) => revokes(revocation, subscriber) && subscriber.stream.end(REVOKED))),
		];
	}

	add(orgId: string, userId: string, stream: ServerResponse, version: SchemaVersion, token: StreamToken, now: number): void {
		const subscriber = { stream, userId, version, token };
		if (token.expiresAt !== null) {
			// Ends exactly when the token does, not at the next heartbeat.
			const expiry = setTimeout(() => stream.end(EXPIRED), Math.max(0, token.expiresAt - now));
			expiry.unref();
			stream.once('close', () => clearTimeout(expiry));
		}
		let subscribers = this.byOrg.get(orgId);
		if (!subscribers) {
			subscribers = new Set();
			this.byOrg.set(orgId, subscribers);
		}
		subscribers.add(subscriber);
		this.metrics.sseSubscribers.inc();
		stream.once('close', () => {
			subscribers.delete(subscriber);
			this.metrics.sseSubscribers.dec();
		});
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

	private broadcast(revision: PublishedRevision): void {
		const subscribers = this.byOrg.get(revision.orgId);
		if (!subscribers?.size) {
			return;
		}
		const frames = new Map<SchemaVersion, Buffer>();
		for (const subscriber of subscribers) {
			let frame = frames.get(subscriber.version);
			if (!frame) {
				frame = revisionFrame(revision, subscriber.version);
				frames.set(subscriber.version, frame);
			}
			subscriber.stream.write(frame);
		}
		this.metrics.eventsSent.inc(subscribers.size);
	}

	private each(action: (subscriber: Subscriber) => unknown): void {
		for (const subscribers of this.byOrg.values()) {
			for (const subscriber of [...subscribers]) {
				action(subscriber);
			}
		}
	}
}
