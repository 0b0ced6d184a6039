import assert from 'node:assert/strict';
import { Emitter } from '../../src/extension/base/disposable';
import { announcementFor, type Announcement } from '../../src/extension/lock/announcements';
import { effectiveSettings, type EffectiveSettings, type MemberProviderSettings } from '../../src/extension/lock/effective';
import { ANNOUNCE_AFTER_QUIET_MS, PolicyAnnouncer, type AnnouncedSource } from '../../src/extension/lock/policy-announcer';
import { buildPolicyDocument, PolicySettingsSchema, type PolicySettingsInput } from '../../src/policy';
import { ManualScheduler } from '../support/manual-scheduler';
import { stamp, validSettings } from '../support/policy-fixtures';
import { ManualClock } from '../support/service';

const member: MemberProviderSettings = { preset: 'openai', baseUrl: undefined, headers: {} };
const settingsOf = (input: PolicySettingsInput | undefined): EffectiveSettings =>
	effectiveSettings(input ? buildPolicyDocument(PolicySettingsSchema.parse(input), stamp) : undefined, member);
const acme = (baseUrl: string, models?: string[]): PolicySettingsInput => ({
	enabled: true,
	provider: { id: 'openai-compatible', baseUrl, ...(models ? { models: { allowed: models } } : {}) },
});

/** The provider service as the announcer sees it. */
class SourceDouble implements AnnouncedSource {
	private readonly emitter = new Emitter<EffectiveSettings>();
	readonly onDidChange = this.emitter.event;
	keyMissing = false;
	constructor(public current: EffectiveSettings) {}
	set(next: EffectiveSettings): void {
		this.current = next;
		this.emitter.fire(next);
	}
	async needsApiKey(): Promise<boolean> {
		return this.keyMissing;
	}
}

describe('policy changes are announced once, saying what changed (#14 items 1, 2)', () => {
	it('words each kind of change, with the action it calls for', () => {
		const before = settingsOf(acme('https://llm.acme.example/v1', ['gpt-4o']));
		assert.deepEqual(announcementFor(before, settingsOf(acme('https://llm-eu.acme.example/v1', ['gpt-4o'])), true), {
			message: 'Acme Corp moved its endpoint to llm-eu.acme.example — enter your API key.',
			actions: ['setApiKey'],
		});
		assert.deepEqual(announcementFor(before, settingsOf(acme('https://llm.acme.example/v1', ['gpt-4o', 'o3'])), false), {
			message: 'Acme Corp changed the models: now gpt-4o, o3.',
			actions: [],
		});
		assert.deepEqual(announcementFor(settingsOf(acme('https://llm.acme.example/v1', ['gpt-4o', 'gpt-4o-mini'])), before, false), {
			message:
				"Acme Corp removed gpt-4o-mini: pick another model where you used it — VS Code's chat: the model picker; Cline: API Provider settings; Roo Code: API Provider settings, Model (until then Roo Code answers with a stand-in) (the models are now gpt-4o).",
			actions: [],
		});
		assert.deepEqual(announcementFor(settingsOf(undefined), before, false), {
			message: 'Acme Corp now manages your AI provider: requests go to llm.acme.example.',
			actions: [],
		});
		assert.deepEqual(announcementFor(before, settingsOf({ ...validSettings.plainCompatible, enabled: false }), false), {
			message: 'Acme Corp no longer manages your AI provider. Your own provider stays off until you turn it on.',
			actions: ['useOwnProvider'],
		});
		assert.equal(
			announcementFor(before, settingsOf(acme('https://llm.acme.example/v1', ['gpt-4o'])), false),
			undefined,
			'nothing the member would notice',
		);
	});

	it('makes one notice of a burst of revisions, from what the member had to what is in force', async () => {
		const scheduler = new ManualScheduler(new ManualClock());
		const source = new SourceDouble(settingsOf(acme('https://llm.acme.example/v1', ['gpt-4o'])));
		const shown: Announcement[] = [];
		const announcer = new PolicyAnnouncer(source, scheduler, (announcement) => shown.push(announcement));
		try {
			source.keyMissing = true;
			source.set(settingsOf(acme('https://llm-eu.acme.example/v1', ['gpt-4o'])));
			await scheduler.pendingSleep();
			scheduler.advance(500);
			source.set(settingsOf(acme('https://llm-eu.acme.example/v1', ['gpt-4o', 'o3'])));
			await scheduler.pendingSleep();
			scheduler.advance(ANNOUNCE_AFTER_QUIET_MS - 1);
			await new Promise((resolve) => setImmediate(resolve));
			assert.deepEqual(shown, [], 'nothing while revisions keep coming');
			scheduler.advance(1);
			await new Promise((resolve) => setImmediate(resolve));
			assert.deepEqual(shown, [
				{
					message: 'Acme Corp moved its endpoint to llm-eu.acme.example — enter your API key; the models are now gpt-4o, o3.',
					actions: ['setApiKey'],
				},
			]);
		} finally {
			announcer.dispose();
		}
	});
});
