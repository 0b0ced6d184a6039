import * as z from 'zod';
import { ChatEntrySchema, type ChatEntry } from '../../webview/chat/protocol';
import type { KeyValueStore } from '../base/storage';

/** Under the workspace's own state (this machine only): a conversation belongs to the folder it was had in. */
const TRANSCRIPT_KEY = 'orgProviderPolicy.chat.transcript';
/** Enough for a long day's conversation; older turns give way first. */
const MAX_ENTRIES = 200;
/** VS Code keeps the workspace's state in one database: a pasted log or two, not a library. */
const MAX_CHARACTERS = 1_000_000;

const SavedTranscriptSchema = z.object({
	version: z.literal(1),
	/** The endpoint the conversation's context was last sent to: a change while VS Code was closed is marked too. */
	endpoint: z.string().optional(),
	entries: z.array(ChatEntrySchema),
});

export interface RestoredTranscript {
	entries: ChatEntry[];
	endpoint: string | undefined;
}

/**
 * The chat view's conversation across reloads and restarts of VS Code. Nothing of it leaves the
 * machine; *New conversation* empties it.
 */
export class ChatTranscript {
	constructor(private readonly state: KeyValueStore) {}

	/** The conversation as VS Code last kept it; none when there is none or it cannot be read (an older or damaged value). */
	restore(): RestoredTranscript | undefined {
		const saved = SavedTranscriptSchema.safeParse(this.state.get(TRANSCRIPT_KEY));
		if (!saved.success) {
			return undefined;
		}
		return {
			endpoint: saved.data.endpoint,
			// An answer still streaming when VS Code closed is kept as stopped, not as an empty answer.
			entries: saved.data.entries.map((entry) =>
				entry.role === 'assistant' && entry.content === '' && !entry.error && !entry.stopped ? { ...entry, stopped: true } : entry,
			),
		};
	}

	/** Keeps the conversation (its newest turns, within the limits); a failure to write is the caller's to log. */
	save(entries: readonly ChatEntry[], endpoint: string | undefined): PromiseLike<void> {
		if (entries.length === 0) {
			return this.state.update(TRANSCRIPT_KEY, undefined);
		}
		let kept = entries.slice(-MAX_ENTRIES);
		let characters = kept.reduce((sum, entry) => sum + sizeOf(entry), 0);
		while (characters > MAX_CHARACTERS && kept.length > 1) {
			characters -= sizeOf(kept[0]!);
			kept = kept.slice(1);
		}
		return this.state.update(TRANSCRIPT_KEY, { version: 1, ...(endpoint ? { endpoint } : {}), entries: kept });
	}
}

/** What an entry weighs in the workspace's state: its words and the thinking kept with them. */
const sizeOf = (entry: ChatEntry): number => entry.content.length + (entry.reasoning?.length ?? 0);
