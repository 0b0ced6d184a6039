/**
 * The longest address an account may have: what the admin API, SCIM and the searches accept
 * (RFC 5321's 64-character local part, `@`, and a 255-character domain).
 */
export const EMAIL_MAX_LENGTH = 320;

/**
 * Any `local@domain`, loose on purpose: the operator's own `admin@localhost` and every address an
 * identity provider or SCIM client sends must pass, where the admin API's stricter check would not.
 */
const LOOSE_ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** Whether `value` could be an account's address (one `@`, no spaces, at most {@link EMAIL_MAX_LENGTH}). */
export function couldBeAddress(value: string): boolean {
	return value.length <= EMAIL_MAX_LENGTH && LOOSE_ADDRESS.test(value);
}
