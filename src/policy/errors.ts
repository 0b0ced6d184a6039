import type * as z from 'zod';

export interface FieldError {
	/** Dotted path of the field, e.g. `provider.headers.X-Foo` or `provider.models.allowed[2]`. */
	readonly path: string;
	readonly message: string;
}

export function formatFieldError(error: FieldError): string {
	return error.path ? `${error.path}: ${error.message}` : error.message;
}

export function formatPath(path: readonly PropertyKey[]): string {
	let out = '';
	for (const segment of path) {
		if (typeof segment === 'number') {
			out += `[${segment}]`;
		} else {
			out += out ? `.${String(segment)}` : String(segment);
		}
	}
	return out;
}

/** Flattens zod issues into one error per field, with messages fit for admins and members. */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
	const errors: FieldError[] = [];
	for (const issue of error.issues) {
		if (issue.code === 'unrecognized_keys') {
			for (const key of issue.keys) {
				errors.push({ path: formatPath([...issue.path, key]), message: 'is not a known field' });
			}
		} else if (issue.code === 'invalid_type' && issue.input === undefined) {
			errors.push({ path: formatPath(issue.path), message: 'is required' });
		} else {
			errors.push({ path: formatPath(issue.path), message: issue.message });
		}
	}
	return errors;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Parses with the given schema, reporting input so a missing field reads "is required". */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.infer<S>> {
	const result = schema.safeParse(input, { reportInput: true });
	return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrorsOf(result.error) };
}
