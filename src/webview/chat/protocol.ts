import * as z from 'zod';

/** The typed message protocol between the chat view and the extension, validated on both sides. */

/** What a member can do about a failed answer, as buttons under it. */
export const ErrorActionSchema = z.enum(['setApiKey', 'signInWithMicrosoft', 'tryAgain', 'copyDetails', 'showLog']);
export type ErrorAction = z.infer<typeof ErrorActionSchema>;

export const ChatEntrySchema = z.object({
	id: z.string(),
	/** `divider`: the endpoint changed here; what comes before it is not sent to the new one. */
	role: z.enum(['user', 'assistant', 'divider']),
	content: z.string(),
	error: z.string().optional(),
	actions: z.array(ErrorActionSchema).optional(),
	stopped: z.boolean().optional(),
	/** A reasoning model's thinking as the endpoint streamed it: shown folded above the answer, never sent back. */
	reasoning: z.string().optional(),
});

/**
 * The longest question the view sends, in characters: about the context window of today's common
 * models (128k tokens). The view says so instead of sending a longer one, which would be dropped.
 */
export const MAX_MESSAGE_LENGTH = 500_000;

export const FromWebviewSchema = z.discriminatedUnion('type', [
	z.object({ type: z.literal('ready') }),
	z.object({ type: z.literal('send'), text: z.string().min(1).max(MAX_MESSAGE_LENGTH) }),
	z.object({ type: z.literal('stop') }),
	z.object({ type: z.literal('selectModel'), model: z.string().min(1).max(200) }),
	/** The reasoning effort to ask the model for, among those the policy lets members pick; none: the policy's first. */
	z.object({ type: z.literal('selectEffort'), effort: z.string().min(1).max(20).optional() }),
	z.object({ type: z.literal('selectProvider') }),
	z.object({ type: z.literal('clear') }),
	/** Brings back what *New conversation* emptied, until the next question. */
	z.object({ type: z.literal('undoClear') }),
	z.object({ type: z.literal('action'), id: z.string().max(64), action: ErrorActionSchema }),
	/** An answer's code block, copied with its Copy button (through VS Code's clipboard, which works in every host). */
	z.object({ type: z.literal('copy'), text: z.string().max(MAX_MESSAGE_LENGTH) }),
	/** From the empty state with no policy server: sign in to an organization, or paste an invitation link. */
	z.object({ type: z.literal('connect') }),
]);

export const ToWebviewSchema = z.discriminatedUnion('type', [
	z.object({
		type: z.literal('state'),
		conversation: z.array(ChatEntrySchema),
		models: z.array(z.string()),
		model: z.string().optional(),
		/** The reasoning efforts the policy lets members pick for this model (absent: nothing to pick), and the member's choice. */
		efforts: z.array(z.string()).optional(),
		effort: z.string().optional(),
		badge: z.object({ label: z.string(), locked: z.boolean() }),
		/** The full-width row under the bar while the provider is managed: "Managed by <organization> · <admin contact>". */
		managedBy: z.string().optional(),
		busy: z.boolean(),
		notice: z.string().optional(),
		/** *New conversation* emptied the conversation, and it can still be brought back. */
		canUndoClear: z.boolean().optional(),
		/** No policy server is known and no organization governs: the empty state offers to connect to one. */
		welcome: z.boolean().optional(),
	}),
	z.object({ type: z.literal('delta'), id: z.string(), text: z.string() }),
	/** More of an answer's thinking. */
	z.object({ type: z.literal('thinking'), id: z.string(), text: z.string() }),
	z.object({ type: z.literal('done'), id: z.string() }),
]);

export type ChatEntry = z.infer<typeof ChatEntrySchema>;
export type FromWebview = z.infer<typeof FromWebviewSchema>;
export type ToWebview = z.infer<typeof ToWebviewSchema>;
