import type { FailureKind } from '../policy';

export type { FailureKind };

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
