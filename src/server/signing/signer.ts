import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { publicKeyFromPrivatePem, type PolicySigningKey } from '../../policy';

/**
 * What signs an organization's policy revisions and key endorsements. The service holds the
 * private key itself (from its database or a key file); an operator who wants it in a KMS or HSM
 * implements this interface around the KMS's Ed25519 sign call and passes it to `buildApp`.
 */
export interface PolicySigner {
	readonly key: PolicySigningKey;
	/** An Ed25519 signature over `bytes`, base64url. */
	sign(bytes: Buffer): Promise<string>;
}

/** A signer around a PKCS#8 PEM private key held in memory. */
export function pemSigner(privateKeyPem: string): PolicySigner {
	const privateKey = createPrivateKey(privateKeyPem);
	const key = publicKeyFromPrivatePem(privateKeyPem);
	return { key, sign: async (bytes) => sign(null, bytes, privateKey).toString('base64url') };
}

/**
 * Reads an Ed25519 PKCS#8 PEM key file. Refuses a file others may read or write (the key signs what
 * every member obeys), and names the flag in every error.
 */
export function readSigningKeyFile(path: string, flag: string): PolicySigner {
	let mode: number;
	let text: string;
	try {
		mode = statSync(path).mode;
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new Error(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
			cause: error,
		});
	}
	if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
		throw new Error(`${flag}: ${path} is readable or writable by others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``);
	}
	try {
		return pemSigner(text);
	} catch (error) {
		throw new Error(
			`${flag}: ${path} is not an Ed25519 private key in PKCS#8 PEM (make one with \`openssl genpkey -algorithm ed25519 -out ${path}\`)`,
			{ cause: error },
		);
	}
}
