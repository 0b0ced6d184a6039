import { Disposable, type Event } from '../base/disposable';
import type { Scheduler } from '../base/scheduler';
import { announcementFor, type Announcement } from './announcements';
import type { EffectiveSettings } from './effective';

/** How long the settings must stay put before the member is told: revisions saved together make one notice. */
export const ANNOUNCE_AFTER_QUIET_MS = 1500;

export interface AnnouncedSource {
	readonly current: EffectiveSettings;
	readonly onDidChange: Event<EffectiveSettings>;
	/** Whether the endpoint now in force wants an API key the member has not entered for it. */
	needsApiKey(): Promise<boolean>;
}

/**
 * Tells the member, once and briefly, what an applied policy change means for them — from what they
 * last had to what is in force once changes stop arriving, so a burst of revisions is one notice.
 */
export class PolicyAnnouncer extends Disposable {
	private announced: EffectiveSettings;
	private quiet: AbortController | undefined;

	constructor(
		private readonly source: AnnouncedSource,
		private readonly scheduler: Scheduler,
		private readonly show: (announcement: Announcement) => void,
	) {
		super();
		this.announced = source.current;
		this._register(source.onDidChange(() => this.changed()));
		this._register({ dispose: () => this.quiet?.abort() });
	}

	private changed(): void {
		this.quiet?.abort();
		const quiet = new AbortController();
		this.quiet = quiet;
		this.scheduler.sleep(ANNOUNCE_AFTER_QUIET_MS, quiet.signal).then(
			() => void this.flush(),
			() => undefined, // another change came first; it announces
		);
	}

	private async flush(): Promise<void> {
		const now = this.source.current;
		const announcement = announcementFor(this.announced, now, await this.source.needsApiKey());
		this.announced = now;
		if (announcement) {
			this.show(announcement);
		}
	}
}
