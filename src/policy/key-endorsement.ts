import * as z from 'zod';

export * from './key-chain';

/** An endorsement as it arrives with a signed policy (zod-free checks of the chain are in key-chain.ts). */
export const KeyEndorsementSchema = z.strictObject({
	key: z.strictObject({
		alg: z.literal('Ed25519'),
		keyId: z.string().min(1).max(64),
		publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key'),
	}),
	endorsedBy: z.string().min(1).max(64),
	signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
});
