import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { NO_SNIFF } from './plumbing';

/*
 * What the service answers before any route or hook can: a request Node cannot parse, or an address
 * the router cannot decode. fastify's own answers there have another shape than every other refusal
 * here (`error` holds a phrase, not a code), lack `nosniff`, and one echoes the address, which may
 * be a one-time link.
 */

/** For the instance's `frameworkErrors` option: an address with a `%` not followed by two hex digits. */
export function answerUndecodableAddress(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
	reply.header(NO_SNIFF.name, NO_SNIFF.value);
	if (error.code === 'FST_ERR_BAD_URL') {
		void reply.code(400).send({
			error: 'invalid_request',
			message: 'the address is not a valid URL: each % in it must be followed by two hexadecimal digits',
		});
		return;
	}
	void reply.send(error);
}

/** What Node's parser refused, by its error code; anything else it cannot read is a 400. */
const UNREADABLE: Readonly<Record<string, { status: number; reason: string; error: string; message: string }>> = {
	HPE_HEADER_OVERFLOW: {
		status: 431,
		reason: 'Request Header Fields Too Large',
		error: 'headers_too_large',
		message: 'the request headers are larger than this service reads (16 KB in all)',
	},
	ERR_HTTP_REQUEST_TIMEOUT: {
		status: 408,
		reason: 'Request Timeout',
		error: 'request_timeout',
		message: 'the request did not arrive in time',
	},
};
const MALFORMED = { status: 400, reason: 'Bad Request', error: 'invalid_request', message: 'the request is not valid HTTP/1.1' };

/**
 * For the instance's `clientErrorHandler` option: answers on the raw socket (there is no request to
 * reply to), then closes it, as Node and fastify do.
 */
export function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Socket): void {
	if (error.code === 'ECONNRESET' || socket.destroyed) {
		return;
	}
	const answer = UNREADABLE[error.code ?? ''] ?? MALFORMED;
	const body = JSON.stringify({ error: answer.error, message: answer.message });
	if (socket.writable) {
		socket.write(
			`HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
				`Content-Length: ${Buffer.byteLength(body)}\r\n${NO_SNIFF.name}: ${NO_SNIFF.value}\r\nConnection: close\r\n\r\n${body}`,
		);
	}
	socket.destroy(error);
}
