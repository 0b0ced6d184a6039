import type { ServerResponse } from 'node:http';
import type { ServiceMetrics } from './metrics';
import type { SchemaVersion } from '../policy';
import { jsonForSchema, type PolicyEvents, type PublishedRevision } from './policy-service';

interface Subscriber {
	readonly stream: ServerResponse;
	readonly userId: string;
	/** The policy schema version this member reads. */
	readonly version: SchemaVersion;
}

const HEARTBEAT = Buffer.from(': heartbeat\n\n');
const REVOKED = 'event: revoked\ndata: {}\n\n';

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
			events.onUserRevoked((userId) => this.each((subscriber) => subscriber.userId === userId && subscriber.stream.end(REVOKED))),
		];
	}

	add(orgId: string, userId: string, stream: ServerResponse, version: SchemaVersion): void {
		const subscriber = { stream, userId, version };
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
