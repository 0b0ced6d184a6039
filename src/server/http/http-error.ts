import type { FieldError } from '../../policy';

/** The one error shape every endpoint answers with: `{ error, message, fieldErrors? }`. */
export class HttpError extends Error {
	override readonly name = 'HttpError';
	constructor(
		readonly statusCode: number,
		readonly code: string,
		message: string,
		readonly extra: { fieldErrors?: readonly FieldError[]; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
	) {
		super(message);
	}
}
