import { hash, randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Opaque bearer secrets: 256 random bits, stored only as their SHA-256. */
export function newSecret(prefix: string): string {
	return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
	// The one-shot form: every authenticated request hashes its bearer token, and a Hash object costs
	// it three times as much (measured in bench/NOTES.md).
	return hash('sha256', secret, 'base64url');
}

export function newId(): string {
	return randomBytes(12).toString('base64url');
}

// RFC 8628 §6.1: a short code from an alphabet without vowels or look-alikes, easy to type.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function newUserCode(): string {
	const chars = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]);
	return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

export function normalizeUserCode(input: string): string {
	const compact = input.toUpperCase().replace(/[^A-Z]/g, '');
	return compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4)}` : compact;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 64 } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
	return new Promise((resolve, reject) =>
		scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
	);
}

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking stored hashes. */
export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(16);
	const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
	return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
	const parts = (stored ?? '').split('$');
	if (parts.length !== 6 || parts[0] !== 'scrypt') {
		// Spend the same time as a real check, so a missing account is not told apart by timing.
		await hashPassword(password);
		return false;
	}
	const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
	const expected = Buffer.from(hash, 'base64url');
	const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
	return timingSafeEqual(actual, expected);
}
