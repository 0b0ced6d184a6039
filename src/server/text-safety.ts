/**
 * C0 and C1 control characters (a terminal escape sequence starts with ESC, U+001B) and the
 * bidirectional controls that reorder what a reader sees (U+061C, U+200E/F, U+202A–E, U+2066–9).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** True when text from outside carries characters that could forge or hide what a log or page shows. */
export function hasUnsafeText(text: string): boolean {
	return UNSAFE.test(text);
}

/** Free text from users (names, reasons, user agents), made safe to show and to log: each such character becomes U+FFFD. */
export function neutralise(text: string): string {
	return text.replace(UNSAFE_ALL, '\uFFFD');
}
