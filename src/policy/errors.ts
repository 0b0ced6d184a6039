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
		} else if (issue.code === 'invalid_type' && Number.isNaN(issue.input)) {
			// A coerced query or flag (`?limit=abc`) reaches zod as NaN: "not a number" would read as nonsense.
			errors.push({ path: formatPath(issue.path), message: `must be ${kindWords(issue.expected)}` });
		} else if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
			// zod's own words ("Invalid input: expected object, received array"), said plainly; a schema's own message is kept.
			errors.push({ path: formatPath(issue.path), message: `must be ${kindWords(issue.expected)}, not ${kindOf(issue.input)}` });
		} else if (issue.code === 'invalid_type' && issue.expected === 'boolean' && typeof issue.input === 'string') {
			// YAML 1.1 (Ansible's habit) read yes/no/on/off as booleans; YAML 1.2, which policy files use, and JSON read text.
			errors.push({ path: formatPath(issue.path), message: `must be true or false, ${textInsteadOfBoolean(issue.input)}` });
		} else if (issue.code === 'invalid_value' && /^Invalid (input|option)/.test(issue.message)) {
			errors.push({ path: formatPath(issue.path), message: `must be ${oneOf(issue.values)}` });
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

/** What was written instead of a boolean, and how to write one. */
function textInsteadOfBoolean(input: string): string {
	if (/^(true|false)$/i.test(input)) {
		return `not the text "${input}" (write it without quotes)`;
	}
	if (/^(yes|no|on|off|y|n)$/i.test(input)) {
		return `not the text "${input}" (yes, no, on and off are text here: write true or false)`;
	}
	return 'not a string';
}

const KIND_WORDS: Readonly<Record<string, string>> = {
	object: 'an object',
	array: 'a list',
	string: 'a string',
	number: 'a number',
	int: 'a whole number',
	boolean: 'true or false',
	null: 'null',
};

function kindWords(expected: string): string {
	return KIND_WORDS[expected] ?? expected;
}

function kindOf(input: unknown): string {
	if (input === null) {
		return 'null';
	}
	if (Array.isArray(input)) {
		return 'a list';
	}
	return kindWords(typeof input);
}

/** `"admin" or "member"`, `"a", "b" or "c"`. */
function oneOf(values: readonly unknown[]): string {
	const quoted = values.map((value) => JSON.stringify(value));
	return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : (quoted[0] ?? 'something else');
}
