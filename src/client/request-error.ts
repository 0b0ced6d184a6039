export type FailureKind =
	| 'unreachable'
	| 'timeout'
	| 'tls'
	| 'key-rejected'
	| 'missing-key'
	| 'azure-role'
	| 'forbidden'
	| 'not-found'
	| 'rate-limited'
	| 'server-error'
	| 'bad-response'
	| 'unsupported-parameter'
	/** The model is served only by another API than the policy names (codex models and Chat Completions). */
	| 'wrong-api'
	| 'truncated'
	| 'content-filtered'
	| 'incomplete'
	| 'sign-in'
	| 'interrupted'
	| 'proxy';

export class ChatRequestError extends Error {
	override readonly name = 'ChatRequestError';
	constructor(
		readonly kind: FailureKind,
		message: string,
		readonly status?: number,
	) {
		super(message);
	}
}

/**
 * Whether an error is a {@link ChatRequestError}. The class is bundled with the lazily loaded
 * client, so code in another bundle (the extension's) recognizes it by name and kind, not
 * `instanceof`.
 */
export function isChatRequestError(error: unknown): error is ChatRequestError {
	return error instanceof Error && error.name === 'ChatRequestError' && typeof (error as { kind?: unknown }).kind === 'string';
}
