import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { hashSecret } from '../crypto';
import { bearerTokenOf } from './auth';

/** A connection's last `Authorization` header and the stored form of the token it carried. */
interface LastBearer {
	readonly header: string;
	readonly tokenHash: string;
}

/**
 * The stored form (SHA-256) of a request's bearer token, remembered per connection: a member's
 * VS Code sends the same header on every request of a kept-alive connection, and parsing and hashing
 * it again was about a twentieth of a policy read (bench/NOTES.md, session 39). Only a header equal
 * to the connection's last one, byte for byte, is answered from memory, and only the hash is: the
 * token is still checked (expiry, revocation) on every request by whoever resolves the hash.
 *
 * The header is kept while its connection is open, no longer than the request of an open event
 * stream keeps the same header; a closed connection's entry goes with its socket.
 */
export class ConnectionBearers {
	private readonly lastBySocket = new WeakMap<Socket, LastBearer>();

	/** The hash of the request's `Authorization: Bearer …` token; undefined without one. */
	tokenHashOf(request: IncomingMessage): string | undefined {
		const header = request.headers.authorization;
		if (header === undefined) {
			return undefined;
		}
		const last = this.lastBySocket.get(request.socket);
		if (last?.header === header) {
			return last.tokenHash;
		}
		const token = bearerTokenOf(header);
		if (token === undefined) {
			return undefined;
		}
		const tokenHash = hashSecret(token);
		this.lastBySocket.set(request.socket, { header, tokenHash });
		return tokenHash;
	}
}
